/**
 * Who is asking: a person through a session, a person through an API key, or the operator
 * (the `atrium` command and the control socket). Every service takes one of these; what each
 * may do is decided in `policy.ts`.
 */

/** The account a person acts as. */
export interface CallerAccount {
  id: string;
  email: string;
  name: string;
  emailVerifiedAt: Date | null;
  /** False for an account made by social sign-in that has not set a password yet. */
  hasPassword: boolean;
  createdAt: Date;
}

export interface SessionCaller {
  kind: "session";
  user: CallerAccount;
  session: {
    id: string;
    createdAt: Date;
    /** When the password (or, later, another factor) was last proven: freshness counts from here. */
    authenticatedAt: Date;
    renewedAt: Date;
    expiresAt: Date;
    lastActiveAt: Date;
  };
}

export interface ApiKeyCaller {
  kind: "api_key";
  user: CallerAccount;
  apiKey: {
    id: string;
    /** A key bound to one organization acts only inside it. */
    organizationId: string | null;
    createdAt: Date;
    expiresAt: Date;
    lastUsedAt: Date;
  };
}

export interface OperatorCaller {
  kind: "operator";
}

/** A person, whichever way they authenticated: what an authenticated request carries. */
export type PersonCaller = SessionCaller | ApiKeyCaller;
export type Caller = PersonCaller | OperatorCaller;

export const OPERATOR_CALLER: OperatorCaller = Object.freeze({ kind: "operator" });

/** The credential a person's request rests on: what a revocation names to evict it. */
export function credentialIdOf(caller: PersonCaller): string {
  return caller.kind === "session" ? caller.session.id : caller.apiKey.id;
}

/** The session this request came through, if it came through one ("this device"). */
export function currentSessionIdOf(caller: PersonCaller): string | null {
  return caller.kind === "session" ? caller.session.id : null;
}

/** The account part of a caller, from a row that joined `users`. */
export function callerAccountOf(row: {
  user_id: string;
  email: string;
  name: string;
  email_verified_at: Date | null;
  has_password: boolean;
  user_created_at: Date;
}): CallerAccount {
  return {
    id: row.user_id,
    email: row.email,
    name: row.name,
    emailVerifiedAt: row.email_verified_at,
    hasPassword: row.has_password,
    createdAt: row.user_created_at,
  };
}
