import type { PersonCaller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { recordAuditEvent, userActor } from "../audit/audit-events.js";
import type { OAuthFlowRow } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { AppError } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, isWellFormedToken } from "../lib/tokens.js";
import { signIns } from "../metrics/metrics.js";
import { type IssuedSession, renewSessionAuthentication } from "../sessions/sessions.service.js";
import { consumeOAuthFlow, findIdentity, touchIdentity } from "./identities.queries.js";
import { ProviderError, type ProviderProfile, type SocialProvider } from "./providers.js";
import { type SocialFailure, SocialFlowError, socialFail } from "./social-flow-error.js";
import { authenticatedAtOf, linkIdentity, socialSignIn } from "./social-sign-in.js";
import { callbackUrl, requireFlowAttempt } from "./start-flow.js";

export interface CallbackInput {
  /** The callback's query string as received (`?code=…&state=…&iss=…`). */
  search: string;
  browserToken: string | undefined;
}

export interface FinishedFlow {
  /** Absolute URL on this site: the flow record's return path, never the callback's query. */
  location: string;
  /** A new session (sign-in) or the renewed one (re-authentication), for the cookie. */
  session?: IssuedSession;
}

/**
 * Finishes a flow: consumes its record (single use, bound to this browser, 10 minutes), lets
 * openid-client check the answer and redeem the code, then signs in, links or re-authenticates
 * as the record's intent says. Any failure is recorded (`user.sign_in_failed`, reason
 * `oauth_error` for the provider's side) and thrown as a SocialFlowError for the page.
 */
export async function finishOAuthFlow(
  deps: Deps,
  provider: SocialProvider,
  caller: PersonCaller | null,
  input: CallbackInput,
  meta: RequestMeta,
): Promise<FinishedFlow> {
  let flow: OAuthFlowRow | undefined;
  try {
    await requireFlowAttempt(deps, meta);
    const state = new URLSearchParams(input.search).get("state");
    if (state && input.browserToken && isWellFormedToken(input.browserToken)) {
      flow = await consumeOAuthFlow(deps.db, {
        stateHash: hashToken(state),
        browserHash: hashToken(input.browserToken),
        provider: provider.id,
        now: meta.now,
      });
    }
    if (!flow || !state) {
      throw socialFail(
        "invalid_state",
        "This sign-in link is unknown, used, expired or was opened in another browser.",
      );
    }
    const profile = await provider.finish(
      new URL(`${callbackUrl(deps, provider)}${input.search}`),
      {
        redirectUri: callbackUrl(deps, provider),
        state,
        nonce: flow.nonce,
        codeVerifier: flow.code_verifier,
        now: meta.now,
      },
    );
    const location = `${deps.config.publicUrl}${flow.return_to}`;
    if (flow.intent === "sign-in") {
      const { session, joinedSlug } = await socialSignIn(deps, provider, profile, flow, meta);
      // A sign-up that accepted an invitation lands in its organization, as a password one does.
      return {
        location: joinedSlug ? `${deps.config.publicUrl}/o/${joinedSlug}` : location,
        session,
      };
    }
    const session = sessionOfFlow(caller, flow);
    if (flow.intent === "link") {
      await linkToSession(deps, provider, profile, session, meta);
      return { location };
    }
    return {
      location,
      session: await reauthenticate(deps, provider, profile, session, flow.created_at, meta),
    };
  } catch (error) {
    const failure = failureOf(error);
    await recordFailure(deps, provider, failure, flow, caller, meta);
    throw failure.error;
  }
}

/** A link or re-authentication ends in the session that started it, still signed in. */
function sessionOfFlow(caller: PersonCaller | null, flow: OAuthFlowRow): PersonCaller {
  if (caller?.kind !== "session" || caller.session.id !== flow.session_id) {
    throw socialFail("unauthenticated", "The session that started this has ended; sign in again.");
  }
  return caller;
}

/** Attaches the identity to the signed-in account, fresh as linking requires. */
async function linkToSession(
  deps: Deps,
  provider: SocialProvider,
  profile: ProviderProfile,
  caller: PersonCaller,
  meta: RequestMeta,
): Promise<void> {
  const state = permit(deps, caller, "identities.link", meta.now);
  await transaction(deps.db, async (tx) => {
    const known = await findIdentity(tx.db, profile.issuer, profile.subject);
    if (known && known.user_id !== state.user.id) {
      throw socialFail("identity_taken", "This identity is already linked to another account.");
    }
    if (known) {
      await touchIdentity(tx.db, known.id, { email: profile.email, last_used_at: meta.now });
      return;
    }
    await linkIdentity(tx, state.user, provider, profile, meta, userActor(state.user), "settings");
  });
}

/** How far the provider's clock may be behind ours when it dates a sign-in. */
const PROVIDER_CLOCK_SKEW_MS = 2 * 60_000;

/**
 * Makes the session fresh again through a linked provider (how a password-less account proves
 * itself). Only a sign-in that the provider dates (`auth_time`) at or after this flow began
 * counts: a browser still signed in to the provider, a provider that ignores `prompt=login`,
 * or one that dates nothing (GitHub) proves nobody is at the keyboard now.
 */
async function reauthenticate(
  deps: Deps,
  provider: SocialProvider,
  profile: ProviderProfile,
  caller: PersonCaller,
  startedAt: Date,
  meta: RequestMeta,
): Promise<IssuedSession> {
  const state = permit(deps, caller, "session.reauthenticate", meta.now);
  const known = await findIdentity(deps.db, profile.issuer, profile.subject);
  if (known?.user_id !== state.user.id) {
    throw socialFail(
      "identity_not_linked",
      "This identity is not linked to the signed-in account.",
    );
  }
  if (
    !profile.authTime ||
    profile.authTime.getTime() < startedAt.getTime() - PROVIDER_CLOCK_SKEW_MS
  ) {
    throw socialFail(
      "session_not_fresh",
      "The provider did not confirm a new sign-in; confirm with your password instead.",
    );
  }
  return transaction(deps.db, async (tx) => {
    await touchIdentity(tx.db, known.id, { email: profile.email, last_used_at: meta.now });
    const session = await renewSessionAuthentication(
      deps,
      tx,
      state,
      meta.now,
      authenticatedAtOf(profile, meta.now),
    );
    await recordAuditEvent(tx, meta, {
      action: "user.signed_in",
      actor: userActor(state.user),
      subjectUserId: state.user.id,
      target: { type: "session", id: state.session.id },
      metadata: { method: "reauthenticate", provider: provider.id },
    });
    return session;
  });
}

interface Failure {
  error: SocialFlowError;
  /** The provider's own error code, when it gave one. */
  providerError: string | undefined;
}

const PASSED_THROUGH: ReadonlySet<string> = new Set<SocialFailure>([
  "session_not_fresh",
  "unauthenticated",
  "forbidden",
  "rate_limited",
  "invitation_email_mismatch",
  "domain_not_allowed",
]);

function failureOf(error: unknown): Failure {
  if (error instanceof SocialFlowError) return { error, providerError: undefined };
  if (error instanceof ProviderError) {
    return {
      error: socialFail(error.reason, "The provider did not complete the sign-in."),
      providerError: error.providerError,
    };
  }
  // An invitation revoked or used while the person was at the provider.
  if (error instanceof AppError && error.code === "not_found") {
    return {
      error: socialFail("invitation_invalid", "This invitation is no longer valid."),
      providerError: undefined,
    };
  }
  if (error instanceof AppError && PASSED_THROUGH.has(error.code)) {
    return {
      error: socialFail(error.code as SocialFailure, error.message),
      providerError: undefined,
    };
  }
  throw error;
}

/** Provider-side failures are `oauth_error`; refusals by our own rules keep their reason. */
const PROVIDER_SIDE: ReadonlySet<SocialFailure> = new Set<SocialFailure>([
  "invalid_state",
  "oauth_error",
  "invalid_response",
  "unavailable",
]);

async function recordFailure(
  deps: Deps,
  provider: SocialProvider,
  failure: Failure,
  flow: OAuthFlowRow | undefined,
  caller: PersonCaller | null,
  meta: RequestMeta,
): Promise<void> {
  // A flood of limited requests is not written down once each (the limit says enough).
  if (failure.error.reason === "rate_limited") return;
  signIns.inc({ result: "failure" });
  const reason = failure.error.reason;
  const user = flow?.session_id && caller ? caller.user : undefined;
  await transaction(deps.db, (tx) =>
    recordAuditEvent(tx, meta, {
      action: "user.sign_in_failed",
      actor: user ? userActor(user) : { type: "system" },
      subjectUserId: user?.id ?? null,
      metadata: {
        reason: PROVIDER_SIDE.has(reason) ? "oauth_error" : reason,
        method: "social",
        provider: provider.id,
        detail: reason,
        ...(flow ? { intent: flow.intent } : {}),
        ...(failure.providerError ? { providerError: failure.providerError } : {}),
      },
    }),
  );
}
