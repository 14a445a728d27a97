import type { Kysely, Transaction } from "kysely";
import type { DB, MemberRow, OrganizationRow } from "../db/schema.js";
import { isId } from "../lib/ids.js";

type Executor = Kysely<DB> | Transaction<DB>;

/** `{org}` in a path is the organization's id or its slug. */
function whereRef(ref: string) {
  return isId(ref, "org")
    ? ({ column: "o.id", value: ref } as const)
    : ({ column: "o.slug", value: ref } as const);
}

/**
 * The organization and the user's membership in it, in one read; undefined when either is
 * missing, which callers answer alike with 404 (a non-member learns nothing). With `lock`,
 * the organization row (and the caller's membership) is locked: membership changes in one
 * organization then run one at a time, each seeing the caller's role as the previous one left
 * it, which is what keeps "at least one owner" true under concurrency.
 */
export async function findOrganizationForMember(
  db: Executor,
  ref: string,
  userId: string,
  options: { lock?: boolean; holdRole?: boolean } = {},
): Promise<{ organization: OrganizationRow; member: MemberRow } | undefined> {
  const found = await organizationForMember(db, whereRef(ref), userId, options);
  if (found || isId(ref, "org")) return found;
  // An old link: the organization that last went by this slug, unless another has taken it
  // since (the link is then that one's, whether or not the caller may see it).
  const moved = await db
    .selectFrom("organization_former_slugs as f")
    .select("f.organization_id")
    .where("f.slug", "=", ref)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("organizations as o").select("o.id").where("o.slug", "=", ref))),
    )
    .executeTakeFirst();
  return moved
    ? organizationForMember(db, { column: "o.id", value: moved.organization_id }, userId, options)
    : undefined;
}

async function organizationForMember(
  db: Executor,
  { column, value }: ReturnType<typeof whereRef>,
  userId: string,
  options: { lock?: boolean; holdRole?: boolean },
): Promise<{ organization: OrganizationRow; member: MemberRow } | undefined> {
  let query = db
    .selectFrom("organizations as o")
    .innerJoin("organization_members as m", (join) =>
      join.onRef("m.organization_id", "=", "o.id").on("m.user_id", "=", userId),
    )
    .select([
      "o.id",
      "o.slug",
      "o.name",
      "o.allowed_email_domains",
      "o.created_at",
      "o.updated_at",
      "m.id as member_id",
      "m.role",
      "m.created_at as joined_at",
    ])
    .where(column, "=", value);
  // Locking the membership row too makes Postgres re-read it once the wait is over, so the role
  // checked is the one after the change we waited for (a just-demoted owner is no owner).
  if (options.lock) query = query.forUpdate(["o", "m"]);
  // With `holdRole`, the membership alone is share-locked: the caller's role cannot change
  // or end until this transaction commits, while others acting in the organization go on.
  else if (options.holdRole) query = query.forShare(["m"]);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    organization: {
      id: row.id,
      slug: row.slug,
      name: row.name,
      allowed_email_domains: row.allowed_email_domains,
      created_at: row.created_at,
      updated_at: row.updated_at,
    },
    member: {
      id: row.member_id,
      organization_id: row.id,
      user_id: userId,
      role: row.role,
      created_at: row.joined_at,
    },
  };
}

export function findOrganizationById(
  db: Executor,
  id: string,
): Promise<OrganizationRow | undefined> {
  return db.selectFrom("organizations").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Inserts unless the slug is taken; returns whether it was inserted (the transaction stays usable). */
export async function insertOrganizationIfSlugFree(
  db: Executor,
  row: OrganizationRow,
): Promise<boolean> {
  const inserted = await db
    .insertInto("organizations")
    .values(row)
    .onConflict((oc) => oc.column("slug").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function takenSlugs(db: Executor, base: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("organizations")
    .select("slug")
    .where((eb) => eb.or([eb("slug", "=", base), eb("slug", "like", `${base}-%`)]))
    .execute();
  return new Set(rows.map((r) => r.slug));
}

export function updateOrganizationRow(
  db: Executor,
  id: string,
  changes: Partial<Pick<OrganizationRow, "name" | "slug" | "allowed_email_domains" | "updated_at">>,
): Promise<OrganizationRow | undefined> {
  return db
    .updateTable("organizations")
    .set(changes)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteOrganizationRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom("organizations").where("id", "=", id).execute();
}

export async function insertMember(db: Executor, row: MemberRow): Promise<boolean> {
  const inserted = await db
    .insertInto("organization_members")
    .values(row)
    .onConflict((oc) => oc.columns(["organization_id", "user_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export function listOrganizationsOfUser(
  db: Executor,
  userId: string,
  page: { limit: number; afterId?: string | undefined; onlyOrganizationId?: string | null },
) {
  let query = db
    .selectFrom("organization_members as m")
    .innerJoin("organizations as o", "o.id", "m.organization_id")
    .select([
      "m.id as member_id",
      "m.role",
      "m.created_at as joined_at",
      "o.id",
      "o.slug",
      "o.name",
    ])
    .where("m.user_id", "=", userId);
  if (page.afterId) query = query.where("m.id", ">", page.afterId);
  if (page.onlyOrganizationId) query = query.where("o.id", "=", page.onlyOrganizationId);
  return query.orderBy("m.id").limit(page.limit).execute();
}

/**
 * Keeps the slug an organization is leaving, so that old links find it, and forgets the one it
 * takes (a slug names one organization at a time).
 */
export async function recordSlugChange(
  db: Executor,
  organizationId: string,
  change: { from: string; to: string },
  now: Date,
): Promise<void> {
  await db.deleteFrom("organization_former_slugs").where("slug", "=", change.to).execute();
  await db
    .insertInto("organization_former_slugs")
    .values({ slug: change.from, organization_id: organizationId, replaced_at: now })
    .onConflict((oc) =>
      oc.column("slug").doUpdateSet({ organization_id: organizationId, replaced_at: now }),
    )
    .execute();
}

/** The id of the organization an operator names by id or slug. */
export async function findOrganizationId(db: Executor, ref: string): Promise<string | undefined> {
  const { column, value } = whereRef(ref);
  const row = await db
    .selectFrom("organizations as o")
    .select("o.id")
    .where(column, "=", value)
    .executeTakeFirst();
  return row?.id;
}

/** Locks, in id order, the organizations the user owns (deleting an account checks them). */
export async function lockOwnedOrganizations(db: Transaction<DB>, userId: string): Promise<void> {
  await db
    .selectFrom("organizations as o")
    .innerJoin("organization_members as m", "m.organization_id", "o.id")
    .select("o.id")
    .where("m.user_id", "=", userId)
    .where("m.role", "=", "owner")
    .orderBy("o.id")
    .forUpdate("o")
    .execute();
}
