import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { Outlet, useNavigate, useParams } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { Button as AriaButton, Header, MenuSection } from "react-aria-components";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { FreshSessionProvider } from "../lib/fresh";
import { mayManage, ROLE_NAMES } from "../lib/organization";
import {
  lastOrganization,
  meQuery,
  organizationsQuery,
  rememberOrganization,
} from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { Menu, MenuItem, MenuSeparator } from "../ui/Menu";
import { Toasts, toast } from "../ui/Toast";
import { CreateOrganizationDialog } from "./create-organization";
import {
  invitationDetails,
  type MyInvitation,
  myInvitationsQuery,
  useAnswerInvitation,
} from "./pending-invitations";
import { ConfirmWithProvider } from "./social-buttons";

/** The signed-in frame: the sidebar (organization switcher, account menu) and the page. */
export default function Shell() {
  const { data: me } = useSuspenseQuery(meQuery);
  const [creating, setCreating] = useState(false);
  if (!me) return null;
  return (
    <FreshSessionProvider otherWays={<ConfirmWithProvider />}>
      <div className="flex min-h-screen w-full flex-col md:flex-row">
        <aside className="flex flex-row items-center justify-between gap-2 border-b border-slate-200 bg-white px-3 py-2 md:w-64 md:flex-col md:items-stretch md:border-r md:border-b-0 md:py-4">
          <div className="flex min-w-0 flex-col gap-1">
            <p className="hidden px-3 text-xs font-semibold tracking-wide text-brand-700 uppercase md:block">
              Atrium
            </p>
            <OrganizationSwitcher
              onCreate={me.canCreateOrganizations ? () => setCreating(true) : undefined}
            />
          </div>
          <AccountMenu name={me.name} email={me.email} />
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          {!me.emailVerified && <VerifyBanner email={me.email} />}
          <main className="min-w-0 flex-1 px-4 py-6 md:px-8">
            <Outlet />
          </main>
        </div>
      </div>
      <CreateOrganizationDialog open={creating} onOpenChange={setCreating} />
      <Toasts />
    </FreshSessionProvider>
  );
}

/** `onCreate` is absent where the instance leaves creating organizations to its operator. */
function OrganizationSwitcher({ onCreate }: { onCreate: (() => void) | undefined }) {
  const organizations = useQuery(organizationsQuery);
  const { slug } = useParams({ strict: false }) as { slug?: string };
  const navigate = useNavigate();
  // The organization in the address, or none when it is not one of the account's (moved,
  // gone): the switcher must never name, or offer to manage, another one instead.
  const current = slug
    ? organizations.data?.find((o) => o.organization.slug === slug)
    : (organizations.data?.find((o) => o.organization.slug === lastOrganization()) ??
      organizations.data?.[0]);
  useEffect(() => {
    if (slug) rememberOrganization(slug);
  }, [slug]);
  const [query, setQuery] = useState("");
  // The account's pending invitations sit in the switcher too, each opening a review dialog.
  const invitations = useQuery(myInvitationsQuery);
  const [reviewing, setReviewing] = useState<MyInvitation | null>(null);
  const needle = query.trim().toLocaleLowerCase();
  const shown = (organizations.data ?? []).filter(({ organization }) =>
    organization.name.toLocaleLowerCase().includes(needle),
  );
  const open = (target: string) => {
    setQuery("");
    void navigate({ to: "/o/$slug", params: { slug: target } });
  };
  return (
    <>
      <Menu
        label="Organizations"
        search={
          (organizations.data?.length ?? 0) > 5
            ? {
                label: "Search organizations",
                value: query,
                onChange: setQuery,
                onSubmit: () => {
                  const first = shown[0];
                  if (first) open(first.organization.slug);
                },
              }
            : undefined
        }
        trigger={
          <AriaButton className="flex min-w-0 items-center gap-2 rounded-md px-3 py-2 text-left text-sm font-semibold text-slate-900 hover:bg-slate-100">
            <span className="truncate">{current?.organization.name ?? "Organizations"}</span>
            <span aria-hidden="true" className="text-slate-600">
              ▾
            </span>
          </AriaButton>
        }
      >
        {shown.map(({ organization, role }) => (
          <MenuItem
            key={organization.id}
            id={organization.id}
            textValue={organization.name}
            onAction={() => open(organization.slug)}
          >
            <span className="truncate">{organization.name}</span>
            <span className="text-xs text-slate-600">{ROLE_NAMES[role]}</span>
          </MenuItem>
        ))}
        {current && mayManage(current.role) && (
          <MenuItem
            id="manage"
            textValue="Manage"
            onAction={() =>
              navigate({
                to: "/o/$slug/settings/general",
                params: { slug: current.organization.slug },
              })
            }
          >
            Manage
          </MenuItem>
        )}
        {(invitations.data?.length ?? 0) > 0 && (
          <>
            <MenuSeparator />
            <MenuSection>
              <Header className="px-3 pt-2 pb-1 text-xs font-semibold text-slate-700">
                Invitations
              </Header>
              {invitations.data?.map((invitation) => (
                <MenuItem
                  key={invitation.id}
                  id={`invitation-${invitation.id}`}
                  textValue={`Invitation to ${invitation.organization.name}`}
                  onAction={() => setReviewing(invitation)}
                >
                  <span className="truncate">
                    <span className="sr-only">Invitation to </span>
                    {invitation.organization.name}
                  </span>
                  <span className="text-xs text-slate-600">{ROLE_NAMES[invitation.role]}</span>
                </MenuItem>
              ))}
            </MenuSection>
          </>
        )}
        {onCreate && (
          <>
            <MenuSeparator />
            <MenuItem id="create" textValue="Create organization" onAction={onCreate}>
              Create organization
            </MenuItem>
          </>
        )}
      </Menu>
      <InvitationDialog invitation={reviewing} onClose={() => setReviewing(null)} />
    </>
  );
}

/** An invitation chosen in the switcher: who invites, to what, until when; Accept or Decline. */
function InvitationDialog({
  invitation,
  onClose,
}: {
  invitation: MyInvitation | null;
  onClose: () => void;
}) {
  const { accept, decline, error, accepting, declining, reset } = useAnswerInvitation(onClose);
  // The last invitation stays rendered while the dialog closes.
  const [shown, setShown] = useState(invitation);
  if (invitation && invitation !== shown) setShown(invitation);
  return (
    <Dialog
      title={shown ? `Join ${shown.organization.name}` : "Invitation"}
      isOpen={invitation !== null}
      onOpenChange={(open) => {
        if (open) return;
        reset();
        onClose();
      }}
    >
      {shown && (
        <>
          <p className="text-sm text-slate-700">{invitationDetails(shown)}.</p>
          {error && <Banner tone="error">{error}</Banner>}
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="secondary" slot="close">
              Cancel
            </Button>
            <Button
              variant="secondary"
              isDisabled={accepting(shown) || declining(shown)}
              onPress={() => decline.mutate(shown)}
            >
              Decline
            </Button>
            <Button
              isDisabled={accepting(shown) || declining(shown)}
              onPress={() => accept.mutate(shown)}
            >
              Accept
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function AccountMenu({ name, email }: { name: string; email: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = async () => {
    await unwrap(api.POST("/api/v1/auth/sign-out")).catch(() => undefined);
    queryClient.clear();
    queryClient.setQueryData(meQuery.queryKey, null);
    await navigate({ to: "/" });
  };
  return (
    <Menu
      label="Account"
      placement="top start"
      trigger={
        <AriaButton className="flex max-w-full min-w-0 flex-col items-start rounded-md px-3 py-2 text-left hover:bg-slate-100">
          <span className="w-full truncate text-sm font-medium text-slate-900">{name}</span>
          <span className="hidden w-full truncate text-xs text-slate-600 md:block">{email}</span>
        </AriaButton>
      }
    >
      <MenuItem id="settings" onAction={() => navigate({ to: "/account/profile" })}>
        Account settings
      </MenuItem>
      <MenuItem id="sign-out" onAction={() => void signOut()}>
        Sign out
      </MenuItem>
    </Menu>
  );
}

function VerifyBanner({ email }: { email: string }) {
  const resend = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/me/email-verification")),
    onSuccess: () => toast(`We sent a new link to ${email}.`),
  });
  return (
    <div className="px-4 pt-4 md:px-8">
      <Banner tone="warning">
        <span className="flex-1">
          Verify your email address: open the link we sent to {email}.
          {resend.isError && ` ${errorMessage(resend.error)}`}
        </span>
        <Button variant="secondary" pending={resend.isPending} onPress={() => resend.mutate()}>
          Resend link
        </Button>
      </Banner>
    </div>
  );
}
