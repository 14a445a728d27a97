/** The organization's Audit log page (to be built). */
export default function AuditPage() {
  return <h2 className="text-lg font-semibold">Audit log</h2>;
}
