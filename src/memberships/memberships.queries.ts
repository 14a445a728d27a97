import { type Kysely, sql, type Transaction } from "kysely";
import type { DB, MemberRow, Role } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export function findMember(
  db: Executor,
  organizationId: string,
  memberId: string,
): Promise<MemberRow | undefined> {
  return db
    .selectFrom("organization_members")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .where("id", "=", memberId)
    .executeTakeFirst();
}

export async function countOwners(db: Executor, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("organization_members")
    .select((eb) => eb.fn.countAll<number>().as("owners"))
    .where("organization_id", "=", organizationId)
    .where("role", "=", "owner")
    .executeTakeFirstOrThrow();
  return Number(row.owners);
}

export function updateMemberRole(
  db: Executor,
  organizationId: string,
  memberId: string,
  role: Role,
) {
  return db
    .updateTable("organization_members")
    .set({ role })
    .where("organization_id", "=", organizationId)
    .where("id", "=", memberId)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteMember(
  db: Executor,
  organizationId: string,
  memberId: string,
): Promise<void> {
  await db
    .deleteFrom("organization_members")
    .where("organization_id", "=", organizationId)
    .where("id", "=", memberId)
    .execute();
}

/** Escapes LIKE's wildcards so that a search for "50%" matches those characters. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of an organization's members in join order. Keyset pagination on the member id
 * (time-ordered) walks the (organization_id, id) index, so page 2,000 costs what page 1 does.
 */
export function listMembers(
  db: Executor,
  organizationId: string,
  filter: {
    q?: string | undefined;
    role?: Role | undefined;
    afterId?: string | undefined;
    limit: number;
  },
) {
  let query = db
    .selectFrom("organization_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.id", "m.role", "m.created_at", "u.id as user_id", "u.email", "u.name"])
    .where("m.organization_id", "=", organizationId);
  if (filter.role) query = query.where("m.role", "=", filter.role);
  if (filter.afterId) query = query.where("m.id", ">", filter.afterId);
  if (filter.q) {
    // On the membership's own copies of the account's name and email (migration 0008, kept by
    // triggers, left out of the row types): the filter stays within the organization's rows.
    const pattern = `%${likeEscape(filter.q)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql.ref<string>("m.search_name"), "ilike", pattern),
        eb(sql.ref<string>("m.search_email"), "ilike", pattern),
      ]),
    );
  }
  return query.orderBy("m.id").limit(filter.limit).execute();
}

/** Memberships in which the user is the only owner, with whether anyone else belongs. */
export async function soleOwnerships(db: Executor, userId: string) {
  return db
    .selectFrom("organization_members as m")
    .select([
      "m.organization_id",
      (eb) =>
        eb
          .selectFrom("organization_members as other")
          .select((inner) => inner.fn.countAll<number>().as("n"))
          .whereRef("other.organization_id", "=", "m.organization_id")
          .where("other.user_id", "<>", userId)
          .as("others"),
      (eb) =>
        eb
          .selectFrom("organization_members as owner")
          .select((inner) => inner.fn.countAll<number>().as("n"))
          .whereRef("owner.organization_id", "=", "m.organization_id")
          .where("owner.role", "=", "owner")
          .as("owners"),
    ])
    .where("m.user_id", "=", userId)
    .where("m.role", "=", "owner")
    .execute()
    .then((rows) =>
      rows
        .filter((row) => Number(row.owners) === 1)
        .map((row) => ({
          organizationId: row.organization_id,
          hasOtherMembers: Number(row.others) > 0,
        })),
    );
}

/** The user's membership in an organization, by the user's id. */
export function findMemberByUser(db: Executor, organizationId: string, userId: string) {
  return db
    .selectFrom("organization_members")
    .select(["id", "role", "created_at"])
    .where("organization_id", "=", organizationId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

/** Every organization the user belongs to, with the role, in join order (operators' view). */
export function listUserMemberships(db: Executor, userId: string) {
  return db
    .selectFrom("organization_members as m")
    .innerJoin("organizations as o", "o.id", "m.organization_id")
    .select(["o.id", "o.slug", "o.name", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("m.id")
    .execute();
}
