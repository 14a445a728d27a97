/** The organization's Members page (to be built). */
export default function MembersPage() {
  return <h2 className="text-lg font-semibold">Members</h2>;
}
