import { useSuspenseQuery } from "@tanstack/react-query";
import { meQuery } from "../lib/session";
import { PageTitle } from "./page";
import { PendingInvitations } from "./pending-invitations";

/** An account in no organization: says so, and lists the invitations waiting for it. */
export default function Welcome() {
  const { data: me } = useSuspenseQuery(meQuery);
  return (
    <>
      <PageTitle
        description={
          me?.canCreateOrganizations
            ? "You are not a member of any organization yet. Accept an invitation below, or create an organization from the menu at the top."
            : "You are not a member of any organization yet. Accept an invitation below; on this Atrium, organizations are created by its operator."
        }
      >
        No organization yet
      </PageTitle>
      <PendingInvitations whenEmpty="No invitations are waiting for you. Ask an organization's admin to invite your address." />
    </>
  );
}
