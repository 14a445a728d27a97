import type { Config } from "../config.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import type { OrganizationScope } from "../organizations/organization-access.js";
import { can, type OrganizationAction, touchesOwnership } from "../organizations/roles.js";
import type { Caller, OperatorCaller, PersonCaller, SessionCaller } from "./caller.js";

/**
 * How strongly the caller has proven who they are, weakest first. A level includes those
 * before it. Two-step verification will add "fresh with a second factor" after "fresh".
 */
export const ASSURANCE_LEVELS = ["signed_in", "fresh"] as const;
export type Assurance = (typeof ASSURANCE_LEVELS)[number];

type CallerKind = Caller["kind"];

interface Rule {
  /** Which kinds of caller may do it at all. */
  callers: readonly CallerKind[];
  /** Whether a key bound to one organization may do it (it spans or changes the account). */
  boundKeys: boolean;
  assurance: Assurance;
  /** An operator's setting that turns the action off for everyone, with the refusal's words. */
  instance?: { allows: (config: Config) => boolean; refusal: string };
}

const PERSON = ["session", "api_key"] as const;
const SESSION = ["session"] as const;
const OPERATOR = ["operator"] as const;

/**
 * The account-level rules: what each kind of caller may do to an account, its sessions and
 * keys, and what the operator alone may do. What a person may read of their own (profile,
 * organizations, invitations) needs no rule beyond being signed in, and a bound key's view
 * of it is narrowed by `keyBindingOf`. Organization-level actions are in the roles table
 * (`authorize` below).
 */
export const ACCOUNT_RULES = {
  "account.update_profile": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "account.resend_verification": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "account.change_email": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  // Seeing or withdrawing a pending change: it is the account's, beyond any organization.
  "account.show_email_change": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "account.cancel_email_change": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "account.change_password": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  "account.delete": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  // Proving the password again, and ending the session: only a session has either.
  "session.reauthenticate": { callers: SESSION, boundKeys: false, assurance: "signed_in" },
  "session.sign_out": { callers: SESSION, boundKeys: false, assurance: "signed_in" },
  // The account's devices span every organization, so a bound key neither sees nor ends them.
  "sessions.list": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "sessions.revoke": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "sessions.revoke_others": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  // A bound key lists only the keys of its organization (see keyBindingOf).
  "api_keys.list": { callers: PERSON, boundKeys: true, assurance: "signed_in" },
  "api_keys.create": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  "api_keys.revoke": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  // Social identities are ways into the account: attaching or removing one needs a recent
  // proof from this very session, as a password change does.
  "identities.list": { callers: PERSON, boundKeys: false, assurance: "signed_in" },
  "identities.link": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  "identities.unlink": { callers: SESSION, boundKeys: false, assurance: "fresh" },
  "organizations.create": {
    callers: PERSON,
    boundKeys: false,
    assurance: "signed_in",
    instance: {
      allows: (config) => config.accountsCreateOrganizations,
      refusal: "On this Atrium, organizations are created by its operator.",
    },
  },
  "operator.accounts": { callers: OPERATOR, boundKeys: false, assurance: "signed_in" },
  "operator.organizations": { callers: OPERATOR, boundKeys: false, assurance: "signed_in" },
  "operator.audit": { callers: OPERATOR, boundKeys: false, assurance: "signed_in" },
} as const satisfies Record<string, Rule>;

export type AccountAction = keyof typeof ACCOUNT_RULES;

type ActionsFor<Kinds> = {
  [A in AccountAction]: (typeof ACCOUNT_RULES)[A]["callers"] extends Kinds ? A : never;
}[AccountAction];

/** Actions only a session may take: permitting one yields the session. */
export type SessionAction = ActionsFor<typeof SESSION>;
export type OperatorAction = ActionsFor<typeof OPERATOR>;
export type PersonAction = Exclude<AccountAction, SessionAction | OperatorAction>;

/** The level this caller has reached now. A key never counts as a fresh sign-in (SESS-06). */
export function assuranceOf(deps: Deps, caller: Caller, now: Date): Assurance {
  if (caller.kind === "operator") return "fresh";
  if (caller.kind === "api_key") return "signed_in";
  const sinceProof = now.getTime() - caller.session.authenticatedAt.getTime();
  return sinceProof < deps.config.sessionFreshMs ? "fresh" : "signed_in";
}

function meets(reached: Assurance, required: Assurance): boolean {
  return ASSURANCE_LEVELS.indexOf(reached) >= ASSURANCE_LEVELS.indexOf(required);
}

function notFresh(caller: Caller): never {
  throw fail(
    "session_not_fresh",
    caller.kind === "api_key"
      ? "An API key never counts as a fresh sign-in: do this from a signed-in session."
      : "Confirm your password to continue (POST /api/v1/auth/reauthenticate).",
  );
}

/**
 * May this caller take this account-level action now? Throws the contract's refusal
 * (`forbidden`, `session_not_fresh`) when not; returns the caller, narrowed to what the
 * action needs. Every service behind such an action calls this first, so HTTP, the CLI and
 * the control socket are held to the same rules.
 */
export function permit(deps: Deps, caller: Caller, action: SessionAction, now: Date): SessionCaller;
export function permit(deps: Deps, caller: Caller, action: PersonAction, now: Date): PersonCaller;
export function permit(
  deps: Deps,
  caller: Caller,
  action: OperatorAction,
  now: Date,
): OperatorCaller;
export function permit(deps: Deps, caller: Caller, action: AccountAction, now: Date): Caller {
  const rule: Rule = ACCOUNT_RULES[action];
  if (!rule.callers.includes(caller.kind)) {
    if (caller.kind === "operator") {
      throw fail("forbidden", "The operator has no account to do this with.");
    }
    if (rule.callers.includes("operator")) {
      throw fail("forbidden", "Only the operator may do this.");
    }
    // A key asked for what needs a recent password: say so, rather than "forbidden".
    if (rule.assurance === "fresh") notFresh(caller);
    throw fail("forbidden", "This needs a signed-in session; an API key cannot do it.");
  }
  if (!rule.boundKeys && keyBindingOf(caller) !== null) {
    throw fail(
      "forbidden",
      "This API key is bound to an organization; it cannot act on the account beyond it.",
    );
  }
  if (rule.instance && !rule.instance.allows(deps.config)) {
    throw fail("forbidden", rule.instance.refusal);
  }
  if (!meets(assuranceOf(deps, caller, now), rule.assurance)) notFresh(caller);
  return caller;
}

/** Whether this instance's settings let accounts take the action at all (the console asks). */
export function instanceAllows(config: Config, action: AccountAction): boolean {
  const rule: Rule = ACCOUNT_RULES[action];
  return rule.instance?.allows(config) ?? true;
}

/** The one organization a caller is confined to (a bound API key), or null. */
export function keyBindingOf(caller: Caller): string | null {
  return caller.kind === "api_key" ? caller.apiKey.organizationId : null;
}

/** Refuses a caller confined to another organization than the one it reaches into. */
export function permitInOrganization(caller: Caller, organizationId: string): void {
  const bound = keyBindingOf(caller);
  if (bound !== null && bound !== organizationId) {
    throw fail("forbidden", "This API key is bound to another organization.");
  }
}

/**
 * Refuses the organization-level action unless the roles table allows it (403 forbidden),
 * and asks for a fresh session when it grants or takes away ownership or deletes the
 * organization.
 */
export function authorize(
  deps: Deps,
  caller: PersonCaller,
  scope: OrganizationScope,
  action: OrganizationAction,
  now: Date,
): void {
  permitInOrganization(caller, scope.organization.id);
  if (!can({ memberId: scope.member.id, role: scope.member.role }, action)) {
    throw fail("forbidden", "Your role in this organization does not allow this.");
  }
  if (touchesOwnership(action) && !meets(assuranceOf(deps, caller, now), "fresh")) {
    notFresh(caller);
  }
}
