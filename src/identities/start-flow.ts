import * as oidc from "openid-client";
import type { PersonCaller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import type { OAuthIntent } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { findLiveInvitation } from "../invitations/respond-to-invitation.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, isWellFormedToken, newToken } from "../lib/tokens.js";
import { POLICIES, perAddress, requireAttempt } from "../rate-limit/rate-limit.js";
import { insertOAuthFlow } from "./identities.queries.js";
import type { ProviderRegistry, SocialProvider } from "./providers.js";
import { safeReturnPath } from "./return-path.js";

/** A flow must come back within this; after it the record is dead. */
export const FLOW_TTL_MS = 10 * 60_000;

/** Where the provider sends the browser back: fixed per provider, registered with it. */
export function callbackUrl(deps: Deps, provider: SocialProvider): string {
  return `${deps.config.publicUrl}/api/v1/auth/oauth/${provider.id}/callback`;
}

/** The configured provider, or 404 for any other id. */
export function requireProvider(registry: ProviderRegistry, id: string): SocialProvider {
  const provider = registry.get(id);
  if (!provider) throw fail("not_found", "This sign-in provider is not configured.");
  return provider;
}

export function requireFlowAttempt(deps: Deps, meta: RequestMeta): Promise<void> {
  return requireAttempt(
    deps.db,
    [{ key: perAddress("social", meta.ipAddress), policy: POLICIES.socialSignInPerAddress }],
    meta.now,
    "Too many sign-in attempts; try again later.",
  );
}

export interface StartInput {
  intent: OAuthIntent;
  returnTo: string | undefined;
  invitationToken: string | undefined;
  /** The browser's binding cookie from an earlier start, reused so that two tabs both work. */
  browserToken: string | undefined;
}

/**
 * Starts an authorization code flow: a fresh state, nonce and PKCE verifier go into one
 * server-side record bound to this browser (its cookie's hash), with the intent, the return
 * path and, for linking or re-authentication, the session that asked. Linking needs a fresh
 * session now, and again when the provider answers.
 */
export async function startOAuthFlow(
  deps: Deps,
  provider: SocialProvider,
  caller: PersonCaller | null,
  input: StartInput,
  meta: RequestMeta,
): Promise<{ location: string; browserToken: string }> {
  await requireFlowAttempt(deps, meta);
  let sessionId: string | null = null;
  if (input.intent !== "sign-in") {
    if (!caller) throw fail("unauthenticated", "Sign in to continue.");
    const session = permit(
      deps,
      caller,
      input.intent === "link" ? "identities.link" : "session.reauthenticate",
      meta.now,
    );
    sessionId = session.session.id;
  }
  // A dead invitation is told now, before the person goes to the provider.
  if (input.invitationToken !== undefined) {
    await findLiveInvitation(deps, input.invitationToken, meta);
  }
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const browserToken =
    input.browserToken && isWellFormedToken(input.browserToken) ? input.browserToken : newToken();
  const location = await provider.authorizationUrl(
    {
      redirectUri: callbackUrl(deps, provider),
      state,
      nonce,
      codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      forceLogin: input.intent === "reauthenticate",
    },
    meta.now,
  );
  await insertOAuthFlow(deps.db, {
    id: newId("flw", meta.now.getTime()),
    state_hash: hashToken(state),
    browser_hash: hashToken(browserToken),
    provider: provider.id,
    intent: input.intent,
    nonce,
    code_verifier: codeVerifier,
    return_to: safeReturnPath(input.returnTo, deps.config.publicUrl),
    session_id: sessionId,
    invitation_token_hash:
      input.invitationToken === undefined ? null : hashToken(input.invitationToken),
    created_at: meta.now,
    expires_at: new Date(meta.now.getTime() + FLOW_TTL_MS),
  });
  return { location: location.href, browserToken };
}
