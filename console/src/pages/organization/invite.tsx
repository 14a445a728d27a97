/** The organization's Invite page (to be built). */
export default function InvitePage() {
  return <h2 className="text-lg font-semibold">Invite</h2>;
}
