import { queryOptions, useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { api, unwrap } from "../../lib/api";
import { useKeysetPages } from "../../lib/keyset-pages";
import { organizationQuery, ROLE_NAMES, type Role } from "../../lib/organization";
import { meQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Pager } from "../../ui/Pager";
import { TextField } from "../../ui/TextField";
import { LoadError, Loading } from "../page";
import type { Organization } from "./gate";
import { useMemberChanges } from "./members-changes";
import { MembersList, type Viewer } from "./members-table";

const route = getRouteApi("/signed-in/o/$slug/settings/members");
const PAGE_SIZE = 50;
const TYPING_PAUSE_MS = 300;

interface Filter {
  q?: string | undefined;
  role?: Role | undefined;
  cursor?: string | undefined;
}

/**
 * One page of members. The key starts with the organization, and the previous page stays on
 * screen while the next loads only within the same organization, never across.
 */
function membersQuery(slug: string, filter: Filter) {
  return queryOptions({
    queryKey: ["organization", slug, "members", filter],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/organizations/{org}/members", {
          params: {
            path: { org: slug },
            query: {
              limit: String(PAGE_SIZE),
              ...(filter.q ? { q: filter.q } : {}),
              ...(filter.role ? { role: filter.role } : {}),
              ...(filter.cursor ? { cursor: filter.cursor } : {}),
            },
          },
        }),
      ),
    placeholderData: (previous, previousQuery) =>
      previousQuery?.queryKey[1] === slug ? previous : undefined,
  });
}

/**
 * The search box follows the address: typing updates it after a pause (replacing the entry,
 * so Back does not step through every letter), and Back or a link updates the box.
 */
function useSearchText(q: string | undefined, push: (q: string) => void) {
  const [text, setText] = useState(q ?? "");
  const pushed = useRef(q ?? "");
  useEffect(() => {
    if ((q ?? "") !== pushed.current) {
      pushed.current = q ?? "";
      setText(q ?? "");
    }
  }, [q]);
  useEffect(() => {
    const wanted = text.trim();
    if (wanted === pushed.current) return;
    const timer = setTimeout(() => {
      pushed.current = wanted;
      push(wanted);
    }, TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text, push]);
  return [text, setText] as const;
}

export default function MembersPage() {
  const { slug } = route.useParams();
  const organization = useQuery(organizationQuery(slug));
  // The layout shows this page only once the organization has loaded. Another organization
  // starts afresh: its own search box, first page and dialogs.
  return organization.data ? (
    <Members key={slug} organization={organization.data} slug={slug} />
  ) : null;
}

function Members({ organization, slug }: { organization: Organization; slug: string }) {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const me = useQuery(meQuery);
  const changes = useMemberChanges(organization, slug);
  const roleId = useId();

  const push = useCallback(
    (q: string) =>
      void navigate({
        search: ({ q: _old, ...rest }) => (q ? { ...rest, q } : rest),
        replace: true,
      }),
    [navigate],
  );
  const [text, setText] = useSearchText(search.q, push);

  const pages = useKeysetPages(JSON.stringify([slug, search.q ?? "", search.role ?? ""]));
  const cursor = pages.cursor;

  const members = useQuery(membersQuery(slug, { q: search.q, role: search.role, cursor }));
  const items = members.data?.items ?? [];
  const mine = items.find((member) => member.user.id === me.data?.id);
  const viewer: Viewer = {
    userId: me.data?.id ?? "",
    memberId: mine?.id ?? null,
    role: organization.myRole,
  };
  const filtered = Boolean(search.q || search.role);

  return (
    <section aria-labelledby="members-title" className="flex flex-col gap-4">
      <h2 id="members-title" className="text-lg font-semibold">
        Members
      </h2>
      <search aria-label="Members" className="flex flex-wrap items-start gap-3">
        <div className="min-w-56 flex-1 sm:max-w-sm">
          <TextField
            label="Search members"
            description="Any part of a name or email."
            type="search"
            value={text}
            onChange={setText}
            maxLength={100}
          />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor={roleId} className="text-sm font-medium text-slate-800">
            Role
          </label>
          <select
            id={roleId}
            value={search.role ?? ""}
            onChange={(event) => {
              const role = event.target.value as Role | "";
              void navigate({
                search: ({ role: _old, ...rest }) => (role ? { ...rest, role } : rest),
              });
            }}
            className="rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900"
          >
            <option value="">All roles</option>
            {(Object.keys(ROLE_NAMES) as Role[]).map((role) => (
              <option key={role} value={role}>
                {ROLE_NAMES[role]}s
              </option>
            ))}
          </select>
        </div>
      </search>
      {changes.banner && <Banner tone="error">{changes.banner}</Banner>}
      {members.isPending || me.isPending ? (
        <Loading what="members" />
      ) : members.isError ? (
        <LoadError error={members.error} retry={() => void members.refetch()} />
      ) : items.length === 0 ? (
        <p role="status" className="text-sm text-slate-700">
          {filtered ? "No members match this search." : "No members on this page."}
        </p>
      ) : (
        <MembersList
          members={items}
          viewer={viewer}
          controls={changes}
          busy={members.isPlaceholderData}
        />
      )}
      <Pager
        label="Pages of members"
        pages={pages}
        nextCursor={members.data?.nextCursor}
        loading={members.isPlaceholderData}
      />
      {changes.dialogs}
    </section>
  );
}
