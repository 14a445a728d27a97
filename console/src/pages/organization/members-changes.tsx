import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type ReactNode, useState } from "react";
import { ApiError, api, type components, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import type { Role } from "../../lib/organization";
import { organizationsQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { ConfirmDialog } from "../../ui/ConfirmDialog";
import { Dialog } from "../../ui/Dialog";
import { toast } from "../../ui/Toast";
import type { Organization } from "./gate";

export type Member = components["schemas"]["Member"];

const ROLE_WORDS: Record<Role, string> = {
  owner: "an owner",
  admin: "an admin",
  member: "a member",
};

type Asking =
  | { kind: "owner"; member: Member }
  | { kind: "remove"; member: Member }
  | { kind: "leave"; member: Member };

interface RoleChange {
  member: Member;
  role: Role;
  mine: boolean;
}

/** The sentence for a refused change, `last_owner` in the person's own terms. */
function refusal(error: unknown, organization: Organization, what: "role" | "leave" | "remove") {
  if (!(error instanceof ApiError) || error.code !== "last_owner") return errorMessage(error);
  const only = `You are the only owner of ${organization.name}.`;
  if (what === "leave")
    return `${only} Make someone else an owner first, or delete the organization.`;
  if (what === "role")
    return `${only} Make someone else an owner first, then change your own role.`;
  return `This is the only owner of ${organization.name}. Make someone else an owner first.`;
}

/**
 * Role changes, removals and leaving, with their confirmations. Every change goes through
 * `fresh()`: the API asks for a recent sign-in for anything that touches ownership, and the
 * provider then asks for the password and retries.
 */
export function useMemberChanges(organization: Organization, slug: string) {
  const fresh = useFresh();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [asking, setAsking] = useState<Asking | null>(null);
  const membersKey = ["organization", slug, "members"];

  const changeRole = useMutation({
    mutationFn: ({ member, role }: RoleChange) =>
      fresh(() =>
        unwrap(
          api.PATCH("/api/v1/organizations/{org}/members/{memberId}", {
            params: { path: { org: slug, memberId: member.id } },
            body: { role },
          }),
        ),
      ),
    onSuccess: async (_updated, { member, role, mine }) => {
      setAsking(null);
      toast(
        mine
          ? `You are now ${ROLE_WORDS[role]}.`
          : `${member.user.name} is now ${ROLE_WORDS[role]}.`,
      );
      if (mine) {
        // The viewer's own role decides what the console offers: reload it everywhere.
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: ["organization", slug] }),
          queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey }),
        ]);
      } else {
        await queryClient.invalidateQueries({ queryKey: membersKey });
      }
    },
  });

  const remove = useMutation({
    mutationFn: ({ member }: { member: Member; leaving: boolean }) =>
      fresh(() =>
        unwrap(
          api.DELETE("/api/v1/organizations/{org}/members/{memberId}", {
            params: { path: { org: slug, memberId: member.id } },
          }),
        ),
      ),
    onSuccess: async (_done, { member, leaving }) => {
      if (leaving) {
        toast(`You left ${organization.name}.`);
        // The list of organizations must no longer hold this one before /home picks where to go.
        await queryClient.invalidateQueries({
          queryKey: organizationsQuery.queryKey,
          refetchType: "all",
        });
        setAsking(null);
        await navigate({ to: "/home" });
        queryClient.removeQueries({ queryKey: ["organization", slug] });
        return;
      }
      setAsking(null);
      toast(`${member.user.name} was removed from ${organization.name}.`);
      await queryClient.invalidateQueries({ queryKey: membersKey });
    },
  });

  const cancelled = (error: unknown) => error instanceof ReauthenticationCancelled;
  const roleError =
    changeRole.isError && !cancelled(changeRole.error)
      ? refusal(changeRole.error, organization, "role")
      : undefined;
  const removeError =
    remove.isError && !cancelled(remove.error)
      ? refusal(remove.error, organization, remove.variables?.leaving ? "leave" : "remove")
      : undefined;

  /** The select's choice: ownership is confirmed first, anything else is changed at once. */
  function requestRole(member: Member, role: Role, mine: boolean) {
    if (role === member.role) return;
    if (role === "owner") {
      changeRole.reset();
      setAsking({ kind: "owner", member });
      return;
    }
    changeRole.mutate({ member, role, mine });
  }

  function ask(kind: "remove" | "leave", member: Member) {
    remove.reset();
    setAsking({ kind, member });
  }

  const close = (open: boolean) => {
    if (!open) setAsking(null);
  };

  const name = asking?.member.user.name ?? "";
  const dialogs: ReactNode = (
    <>
      <Dialog
        title={`Make ${name} an owner?`}
        isOpen={asking?.kind === "owner"}
        onOpenChange={close}
      >
        <p className="text-sm text-slate-700">
          As an owner, {name} will be able to do everything an admin can, and also manage owners
          (make others owners, change or remove them) and delete {organization.name}.
        </p>
        {roleError && <Banner tone="error">{roleError}</Banner>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" slot="close">
            Cancel
          </Button>
          <Button
            pending={changeRole.isPending}
            onPress={() => {
              if (asking) changeRole.mutate({ member: asking.member, role: "owner", mine: false });
            }}
          >
            Make owner
          </Button>
        </div>
      </Dialog>
      <ConfirmDialog
        title={`Remove ${name}?`}
        isOpen={asking?.kind === "remove"}
        onOpenChange={close}
        confirmLabel="Remove"
        onConfirm={() => asking && remove.mutate({ member: asking.member, leaving: false })}
        pending={remove.isPending}
        error={removeError}
      >
        {name} ({asking?.member.user.email}) loses access to {organization.name} at once. The
        invitations they sent that are still pending are revoked.
      </ConfirmDialog>
      <ConfirmDialog
        title={`Leave ${organization.name}?`}
        isOpen={asking?.kind === "leave"}
        onOpenChange={close}
        confirmLabel="Leave organization"
        onConfirm={() => asking && remove.mutate({ member: asking.member, leaving: true })}
        pending={remove.isPending}
        error={removeError}
      >
        You lose access to {organization.name} at once. To come back, you need a new invitation.
      </ConfirmDialog>
    </>
  );

  return {
    requestRole,
    remove: (member: Member) => ask("remove", member),
    leave: (member: Member) => ask("leave", member),
    /** The member whose role is being changed, to show the select as busy. */
    changing: changeRole.isPending ? changeRole.variables.member.id : null,
    /** A refused role change made from a select (not from the ownership dialog). */
    banner: roleError && asking?.kind !== "owner" ? roleError : null,
    dialogs,
  };
}
