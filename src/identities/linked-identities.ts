import type { PersonCaller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { lockUser } from "../accounts/accounts.queries.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import type { IdentityRow } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { deleteIdentity, listUserIdentities, lockUserIdentities } from "./identities.queries.js";

export interface Identity {
  id: string;
  provider: string;
  /** The address at the provider, which may differ from the account's. */
  email: string | null;
  linkedAt: string;
}

function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    provider: row.provider,
    email: row.email,
    linkedAt: row.created_at.toISOString(),
  };
}

/** The social identities linked to the caller's account, oldest first. */
export async function listIdentities(
  deps: Deps,
  caller: PersonCaller,
  now: Date,
): Promise<{ items: Identity[] }> {
  const state = permit(deps, caller, "identities.list", now);
  const rows = await listUserIdentities(deps.db, state.user.id);
  return { items: rows.map(toIdentity) };
}

/**
 * Unlinks one of the account's identities (fresh session). Refused with 409 `conflict` when it
 * is the last way in: no password and no other identity. The account's row is locked first,
 * so two unlinks racing cannot each leave the other as the last one and remove both.
 */
export async function unlinkIdentity(
  deps: Deps,
  caller: PersonCaller,
  identityId: string,
  meta: RequestMeta,
): Promise<void> {
  const state = permit(deps, caller, "identities.unlink", meta.now);
  await transaction(deps.db, async (tx) => {
    const user = await lockUser(tx.db, state.user.id);
    const identities = await lockUserIdentities(tx.db, state.user.id);
    const identity = identities.find((row) => row.id === identityId);
    if (!user || !identity) throw fail("not_found", "No such linked identity.");
    if (!user.password_hash && identities.length === 1) {
      throw fail(
        "conflict",
        "This is the account's only way to sign in: set a password (through a reset link) or " +
          "connect another provider first.",
      );
    }
    await deleteIdentity(tx.db, state.user.id, identityId);
    await recordAuditEvent(tx, meta, {
      action: "identity.unlinked",
      actor: actorOf(state),
      subjectUserId: state.user.id,
      target: { type: "identity", id: identityId },
      metadata: { provider: identity.provider },
    });
  });
}
