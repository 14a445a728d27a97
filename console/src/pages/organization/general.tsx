/** The organization's General page (to be built). */
export default function GeneralPage() {
  return <h2 className="text-lg font-semibold">General</h2>;
}
