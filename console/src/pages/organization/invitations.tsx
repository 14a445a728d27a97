/** The organization's Invitations page (to be built). */
export default function InvitationsPage() {
  return <h2 className="text-lg font-semibold">Invitations</h2>;
}
