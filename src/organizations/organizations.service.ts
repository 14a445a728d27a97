import { randomBytes } from "node:crypto";
import type { PersonCaller } from "../access/caller.js";
import { authorize, keyBindingOf, permit } from "../access/policy.js";
import { listOrganizationApiKeyIds } from "../api-keys/api-keys.queries.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { isUniqueViolation } from "../db/errors.js";
import type { OrganizationRow } from "../db/schema.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { requireDisplayName } from "../lib/display-name.js";
import { canonicalDomain } from "../lib/email-address.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { type PageRequest, readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import { type Organization, toOrganization } from "./organization.js";
import { openOrganization } from "./organization-access.js";
import {
  deleteOrganizationRow,
  insertMember,
  insertOrganizationIfSlugFree,
  listOrganizationsOfUser,
  recordSlugChange,
  takenSlugs,
  updateOrganizationRow,
} from "./organizations.queries.js";
import { isValidSlug, slugify } from "./slug.js";

export const MAX_ALLOWED_DOMAINS = 50;

function requireSlug(slug: string): string {
  if (!isValidSlug(slug)) {
    throw fail(
      "invalid_request",
      "A slug is 1 to 48 lowercase letters, digits and single hyphens, not at either end.",
      {
        details: [
          { field: "slug", problem: "must be lowercase letters, digits and single hyphens" },
        ],
      },
    );
  }
  return slug;
}

/** Allowed email domains in canonical form (lowercase, punycode), without duplicates. */
export function requireDomains(domains: string[]): string[] {
  const canonical: string[] = [];
  for (const [index, domain] of domains.entries()) {
    const ascii = canonicalDomain(domain);
    if (!ascii) {
      throw fail("invalid_request", `"${domain}" is not a domain name.`, {
        details: [{ field: `allowedEmailDomains/${index}`, problem: "is not a domain name" }],
      });
    }
    if (!canonical.includes(ascii)) canonical.push(ascii);
  }
  if (canonical.length > MAX_ALLOWED_DOMAINS) {
    throw fail("invalid_request", `At most ${MAX_ALLOWED_DOMAINS} allowed email domains.`);
  }
  return canonical;
}

/**
 * Inserts an organization, with the given slug (409 conflict when taken) or one made from the
 * name with a numeric, then random, suffix on collision; optionally with its first owner.
 */
export async function insertOrganization(
  tx: Tx,
  input: {
    name: string;
    slug?: string | undefined;
    allowedEmailDomains?: string[];
    ownerUserId?: string;
  },
  now: Date,
): Promise<OrganizationRow> {
  const base = input.slug === undefined ? slugify(input.name) : requireSlug(input.slug);
  const row = (slug: string): OrganizationRow => ({
    id: newId("org", now.getTime()),
    slug,
    name: requireDisplayName(input.name),
    allowed_email_domains: input.allowedEmailDomains ?? [],
    created_at: now,
    updated_at: now,
  });
  let created: OrganizationRow | undefined;
  if (input.slug !== undefined) {
    const candidate = row(base);
    if (!(await insertOrganizationIfSlugFree(tx.db, candidate))) {
      throw fail("conflict", `The slug "${base}" is taken.`, {
        details: [{ field: "slug", problem: "is taken" }],
      });
    }
    created = candidate;
  } else {
    const taken = await takenSlugs(tx.db, base);
    const numbered = [base, ...Array.from({ length: 20 }, (_, i) => `${base}-${i + 2}`)].filter(
      (s) => !taken.has(s),
    );
    const candidates = [
      ...numbered.slice(0, 3),
      ...Array.from({ length: 5 }, () => `${base.slice(0, 40)}-${randomBytes(3).toString("hex")}`),
    ];
    for (const slug of candidates) {
      const candidate = row(slug);
      if (await insertOrganizationIfSlugFree(tx.db, candidate)) {
        created = candidate;
        break;
      }
    }
    if (!created) throw fail("conflict", "Could not find a free slug; choose one.");
  }
  if (input.ownerUserId) {
    await insertMember(tx.db, {
      id: newId("mem", now.getTime()),
      organization_id: created.id,
      user_id: input.ownerUserId,
      role: "owner",
      created_at: now,
    });
  }
  return created;
}

/** Creates an organization whose first owner is the signed-in account. */
export async function createOrganization(
  deps: Deps,
  auth: PersonCaller,
  input: { name: string; slug?: string | undefined },
  meta: RequestMeta,
): Promise<Organization> {
  permit(deps, auth, "organizations.create", meta.now);
  return transaction(deps.db, async (tx) => {
    const organization = await insertOrganization(
      tx,
      { ...input, ownerUserId: auth.user.id },
      meta.now,
    );
    await recordOrganizationCreated(tx, meta, organization, actorOf(auth), auth.user.id);
    return toOrganization(organization, "owner");
  });
}

export async function recordOrganizationCreated(
  tx: Tx,
  meta: RequestMeta | null,
  organization: OrganizationRow,
  actor: Parameters<typeof recordAuditEvent>[2]["actor"],
  ownerUserId: string | undefined,
  now?: Date,
): Promise<void> {
  await recordAuditEvent(
    tx,
    meta,
    {
      action: "organization.created",
      actor,
      organizationId: organization.id,
      target: { type: "organization", id: organization.id },
      metadata: { name: organization.name, slug: organization.slug },
    },
    now,
  );
  if (ownerUserId) {
    await recordAuditEvent(
      tx,
      meta,
      {
        action: "member.added",
        actor,
        organizationId: organization.id,
        subjectUserId: ownerUserId,
        target: { type: "user", id: ownerUserId },
        metadata: { role: "owner" },
      },
      now,
    );
  }
}

export async function getOrganization(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  now: Date,
): Promise<Organization> {
  const scope = await openOrganization(deps.db, ref, auth);
  authorize(deps, auth, scope, { type: "organization:read" }, now);
  return toOrganization(scope.organization, scope.member.role);
}

export async function updateOrganization(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  input: {
    name?: string | undefined;
    slug?: string | undefined;
    allowedEmailDomains?: string[] | undefined;
  },
  meta: RequestMeta,
): Promise<Organization> {
  try {
    return await transaction(deps.db, async (tx) => {
      const scope = await openOrganization(tx.db, ref, auth, { lock: true });
      authorize(deps, auth, scope, { type: "organization:update" }, meta.now);
      const changes = {
        ...(input.name === undefined ? {} : { name: requireDisplayName(input.name) }),
        ...(input.slug === undefined ? {} : { slug: requireSlug(input.slug) }),
        ...(input.allowedEmailDomains === undefined
          ? {}
          : { allowed_email_domains: requireDomains(input.allowedEmailDomains) }),
      };
      const updated = await updateOrganizationRow(tx.db, scope.organization.id, {
        ...changes,
        updated_at: meta.now,
      });
      if (!updated) throw fail("not_found", "No such organization.");
      if (updated.slug !== scope.organization.slug) {
        await recordSlugChange(
          tx.db,
          updated.id,
          { from: scope.organization.slug, to: updated.slug },
          meta.now,
        );
      }
      await recordAuditEvent(tx, meta, {
        action: "organization.updated",
        actor: actorOf(auth),
        organizationId: updated.id,
        target: { type: "organization", id: updated.id },
        metadata: {
          changed: Object.keys(input).filter(
            (key) => input[key as keyof typeof input] !== undefined,
          ),
          ...changes,
        },
      });
      return toOrganization(updated, scope.member.role);
    });
  } catch (error) {
    if (isUniqueViolation(error, "organizations_slug_key")) {
      throw fail("conflict", `The slug "${input.slug}" is taken.`, {
        details: [{ field: "slug", problem: "is taken" }],
      });
    }
    throw error;
  }
}

/** Deletes an organization with its memberships and invitations; its audit events stay. */
export async function deleteOrganization(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  meta: RequestMeta,
): Promise<void> {
  await transaction(deps.db, async (tx) => {
    const scope = await openOrganization(tx.db, ref, auth, { lock: true });
    authorize(deps, auth, scope, { type: "organization:delete" }, meta.now);
    // Its bound keys go by cascade; their cached copies must go everywhere too.
    const boundKeys = await listOrganizationApiKeyIds(tx.db, scope.organization.id);
    await deleteOrganizationRow(tx.db, scope.organization.id);
    for (const id of boundKeys) await publishAuthChange(tx, deps.sessionCache, { sessionId: id });
    await recordAuditEvent(tx, meta, {
      action: "organization.deleted",
      actor: actorOf(auth),
      organizationId: scope.organization.id,
      target: { type: "organization", id: scope.organization.id },
      metadata: { name: scope.organization.name, slug: scope.organization.slug },
    });
  });
}

/** The organizations the account belongs to, oldest membership first. */
export async function listMyOrganizations(deps: Deps, auth: PersonCaller, page: PageRequest) {
  // A key bound to one organization sees only that one.
  const onlyOrganizationId = keyBindingOf(auth);
  return readPage(
    page.limit,
    (limit) =>
      listOrganizationsOfUser(deps.db, auth.user.id, {
        limit,
        afterId: page.cursor,
        onlyOrganizationId,
      }),
    (row) => ({
      organization: { id: row.id, slug: row.slug, name: row.name },
      role: row.role,
      joinedAt: row.joined_at.toISOString(),
    }),
    // Memberships are the keyset: the member id orders them by join time.
    (row) => row.member_id,
  );
}
