import { type Caller, OPERATOR_CALLER } from "../access/caller.js";
import { permit } from "../access/policy.js";
import {
  listAccounts,
  revokeAccountSessions,
  setAccountDisabled,
  showAccount,
} from "../accounts/account-admin.js";
import { exportChunks } from "../audit/audit.service.js";
import { listAuditChainHeads } from "../audit/audit-heads.js";
import { type Anchor, checkAnchors, verifyAuditChains } from "../audit/audit-verify.js";
import type { Deps } from "../deps.js";
import { AppError, errorBody, fail } from "../lib/errors.js";
import { findOrganizationId } from "../organizations/organizations.queries.js";
import { provisionOrganization } from "../organizations/provision-organization.js";

/** What the `atrium` command asks of a database: run here, or sent to the server that holds it. */
export type OperatorCommand =
  | { command: "org-create"; name: string; ownerEmail: string; slug?: string | undefined }
  | {
      command: "users-list";
      q?: string | undefined;
      limit?: number | undefined;
      after?: string | undefined;
    }
  | { command: "users-show"; email: string }
  | { command: "users-disable"; email: string }
  | { command: "users-enable"; email: string }
  | { command: "sessions-revoke"; email: string }
  | { command: "audit-verify"; org?: string | undefined; anchors?: Anchor[] | undefined }
  | { command: "audit-heads" }
  | {
      command: "audit-export";
      org?: string | undefined;
      format: "jsonl" | "csv";
      action?: string | undefined;
      actorId?: string | undefined;
      from?: string | undefined;
      to?: string | undefined;
    };

/** A command's answer: JSON, or (for exports) text produced as it is read. */
export type OperatorResult =
  | { status: number; body: unknown }
  | { status: number; stream: AsyncIterable<string> };

async function organizationIdOf(deps: Deps, ref: string): Promise<string> {
  const id = await findOrganizationId(deps.db, ref);
  if (!id) throw fail("not_found", `No organization ${ref}.`);
  return id;
}

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw fail("invalid_request", `--${name} must be a time like 2026-01-31T00:00:00Z.`);
  return date;
}

async function run(deps: Deps, caller: Caller, command: OperatorCommand): Promise<OperatorResult> {
  switch (command.command) {
    case "org-create": {
      const result = await provisionOrganization(deps, caller, command);
      const { id, slug, name } = result.organization;
      return {
        status: 201,
        body: {
          organization: { id, slug, name },
          invitationUrl: result.invitationUrl,
          expiresAt: result.expiresAt,
        },
      };
    }
    case "users-list":
      return {
        status: 200,
        body: {
          items: await listAccounts(deps, caller, {
            q: command.q,
            limit: command.limit ?? 100,
            after: command.after,
          }),
        },
      };
    case "users-show":
      return { status: 200, body: await showAccount(deps, caller, command.email) };
    case "users-disable":
    case "users-enable":
      return {
        status: 200,
        body: await setAccountDisabled(
          deps,
          caller,
          command.email,
          command.command === "users-disable",
        ),
      };
    case "sessions-revoke":
      return { status: 200, body: await revokeAccountSessions(deps, caller, command.email) };
    case "audit-verify": {
      permit(deps, caller, "operator.audit", deps.clock.now());
      const chainKey =
        command.org === undefined ? undefined : await organizationIdOf(deps, command.org);
      const result = await verifyAuditChains(deps.db, chainKey ? { chainKey } : {});
      const anchors = (command.anchors ?? []).filter((a) => !chainKey || a.chainKey === chainKey);
      const broken = [...result.broken, ...(await checkAnchors(deps.db, anchors))];
      return {
        status: 200,
        body: { ok: broken.length === 0, ...result, broken, anchors: anchors.length },
      };
    }
    case "audit-heads":
      permit(deps, caller, "operator.audit", deps.clock.now());
      return { status: 200, body: { items: await listAuditChainHeads(deps.db) } };
    case "audit-export": {
      permit(deps, caller, "operator.audit", deps.clock.now());
      const scope =
        command.org === undefined ? undefined : await organizationIdOf(deps, command.org);
      const filter = {
        scope: scope ? { organizationId: scope } : { all: true as const },
        action: command.action,
        actorId: command.actorId,
        from: time(command.from, "from"),
        to: time(command.to, "to"),
      };
      return { status: 200, stream: exportChunks(deps.db, filter, command.format) };
    }
  }
}

/** A refused or failed command's answer: the contract's status and error body. */
export function errorResult(error: AppError): OperatorResult {
  return { status: error.status, body: errorBody(error) };
}

/**
 * Runs one operator command in this process, as the operator (whoever can reach the data
 * folder or the control socket is the operator); failures come back in the contract's error
 * shape.
 */
export async function runOperatorCommand(
  deps: Deps,
  command: OperatorCommand,
): Promise<OperatorResult> {
  try {
    return await run(deps, OPERATOR_CALLER, command);
  } catch (error) {
    if (error instanceof AppError) return errorResult(error);
    deps.logger.error({ err: error }, "operator command failed");
    return errorResult(fail("internal", "The command failed; see the log."));
  }
}
