import Type from "typebox";
import { type ApiKeyCaller, callerAccountOf, type PersonCaller } from "../access/caller.js";
import { keyBindingOf, permit } from "../access/policy.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { requireDisplayName } from "../lib/display-name.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { type PageRequest, readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { apiKeyCreatedNotice } from "../mail/templates.js";
import { openOrganization } from "../organizations/organization-access.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import {
  DISPLAY_PREFIX_LENGTH,
  hashApiKey,
  isWellFormedApiKey,
  newApiKeySecret,
} from "./api-key-secret.js";
import {
  findApiKeyWithUser,
  insertApiKey,
  listUserApiKeys,
  revokeUserApiKey,
  touchApiKey,
} from "./api-keys.queries.js";

const DAY_MS = 86_400_000;
/** A key without an expiry lives 90 days; none lives longer than a year (SECURITY.md KEY-01). */
export const DEFAULT_KEY_LIFE_MS = 90 * DAY_MS;
export const MAX_KEY_LIFE_MS = 365 * DAY_MS;
// last_used_at is written at most this often per key.
const TOUCH_INTERVAL_MS = 60_000;

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String(),
    organizationId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: "date-time" }),
    lastUsedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    expiresAt: Type.String({ format: "date-time" }),
  },
  { $id: "ApiKey" },
);

function toApiKey(row: {
  id: string;
  name: string;
  prefix: string;
  organization_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
}) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    organizationId: row.organization_id,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    expiresAt: row.expires_at.toISOString(),
  };
}

/**
 * Creates a key for the signed-in account (fresh session). The secret is returned this once
 * and stored only as its hash; the account is told by email.
 */
export async function createApiKey(
  deps: Deps,
  caller: PersonCaller,
  input: { name: string; expiresAt?: string | undefined; organizationId?: string | undefined },
  meta: RequestMeta,
) {
  const auth = permit(deps, caller, "api_keys.create", meta.now);
  const name = requireDisplayName(input.name);
  const expiresAt =
    input.expiresAt === undefined
      ? new Date(meta.now.getTime() + DEFAULT_KEY_LIFE_MS)
      : new Date(input.expiresAt);
  if (
    Number.isNaN(expiresAt.getTime()) ||
    expiresAt <= meta.now ||
    expiresAt.getTime() - meta.now.getTime() > MAX_KEY_LIFE_MS
  ) {
    throw fail(
      "invalid_request",
      "expiresAt must be a time in the future, at most 365 days away.",
      {
        details: [
          { field: "expiresAt", problem: "must be in the future and at most 365 days away" },
        ],
      },
    );
  }
  // A key bound to an organization: only one the account belongs to (404 otherwise, as everywhere).
  const organizationId =
    input.organizationId === undefined
      ? null
      : (await openOrganization(deps.db, input.organizationId, auth)).organization.id;
  const secret = newApiKeySecret();
  const row = {
    id: newId("key", meta.now.getTime()),
    user_id: auth.user.id,
    organization_id: organizationId,
    name,
    prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
    secret_hash: hashApiKey(secret),
    created_at: meta.now,
    last_used_at: null,
    expires_at: expiresAt,
    revoked_at: null,
  };
  await transaction(deps.db, async (tx) => {
    await insertApiKey(tx.db, row);
    await enqueueEmail(
      tx,
      apiKeyCreatedNotice(auth.user.email, auth.user.name, name, row.prefix),
      meta.now,
    );
    await recordAuditEvent(tx, meta, {
      action: "api_key.created",
      actor: actorOf(auth),
      subjectUserId: auth.user.id,
      organizationId,
      target: { type: "api_key", id: row.id },
      metadata: { name, prefix: row.prefix, expiresAt: expiresAt.toISOString() },
    });
  });
  return { apiKey: toApiKey(row), secret };
}

export async function listApiKeys(deps: Deps, auth: PersonCaller, page: PageRequest, now: Date) {
  permit(deps, auth, "api_keys.list", now);
  // A key bound to one organization sees only the keys bound to that one.
  const onlyOrganizationId = keyBindingOf(auth);
  const read = (limit: number) =>
    listUserApiKeys(deps.db, auth.user.id, { limit, afterId: page.cursor, onlyOrganizationId });
  return readPage(page.limit, read, toApiKey);
}

/** Revokes one of the account's keys: it stops working on its next request, in every process. */
export async function revokeApiKey(
  deps: Deps,
  auth: PersonCaller,
  id: string,
  meta: RequestMeta,
): Promise<void> {
  permit(deps, auth, "api_keys.revoke", meta.now);
  await transaction(deps.db, async (tx) => {
    const revoked = await revokeUserApiKey(tx.db, auth.user.id, id, meta.now);
    if (!revoked) throw fail("not_found", "No such API key.");
    await publishAuthChange(tx, deps.sessionCache, { sessionId: id });
    await recordAuditEvent(tx, meta, {
      action: "api_key.revoked",
      actor: actorOf(auth),
      subjectUserId: auth.user.id,
      target: { type: "api_key", id },
      metadata: { name: revoked.name, prefix: revoked.prefix },
    });
  });
}

/**
 * Resolves a bearer secret to its key and owner, or undefined when it is malformed (no
 * database read), unknown, revoked, expired or its owner is disabled. Cached like sessions,
 * evicted everywhere on revocation.
 */
export async function validateApiKey(
  deps: Deps,
  secret: string,
  now: Date,
): Promise<ApiKeyCaller | undefined> {
  if (!isWellFormedApiKey(secret)) return undefined;
  const secretHash = hashApiKey(secret);
  const nowMs = now.getTime();
  const cached = await deps.sessionCache.getOrLoad(secretHash, nowMs, async () => {
    const row = await findApiKeyWithUser(deps.db, secretHash);
    if (!row || row.revoked_at || row.disabled_at) return undefined;
    return {
      kind: "api_key" as const,
      apiKey: {
        id: row.id,
        organizationId: row.organization_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        lastUsedAt: row.last_used_at ?? new Date(0),
      },
      user: callerAccountOf(row),
    };
  });
  if (cached?.kind !== "api_key" || cached.apiKey.expiresAt.getTime() <= nowMs) return undefined;
  let state = cached;
  if (nowMs - state.apiKey.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    await touchApiKey(deps.db, state.apiKey.id, now);
    state = { ...state, apiKey: { ...state.apiKey, lastUsedAt: now } };
    deps.sessionCache.update(secretHash, state);
  }
  return state;
}
