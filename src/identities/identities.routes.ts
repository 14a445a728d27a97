import type { FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { Config } from "../config.js";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody, Redirect } from "../http/responses.js";
import { TokenField } from "../http/schemas.js";
import { setSessionCookie } from "../http/session-cookie.js";
import { AppError } from "../lib/errors.js";
import { finishOAuthFlow } from "./finish-flow.js";
import { listIdentities, unlinkIdentity } from "./linked-identities.js";
import { ProviderError, ProviderRegistry } from "./providers.js";
import { type SocialFailure, SocialFlowError } from "./social-flow-error.js";
import { FLOW_TTL_MS, requireProvider, startOAuthFlow } from "./start-flow.js";

const ProviderSchema = Type.Object({
  id: Type.String({ description: "The provider's part of the start and callback paths." }),
  name: Type.String({ description: "What a sign-in button says: Continue with {name}." }),
  kind: Type.Union([Type.Literal("oidc"), Type.Literal("google"), Type.Literal("github")]),
});

const IdentitySchema = Type.Object({
  id: Type.String(),
  provider: Type.String({ description: "The provider's id, as in GET /auth/providers." }),
  email: Type.Union([Type.String(), Type.Null()], {
    description: "The address at the provider, which may differ from the account's.",
  }),
  linkedAt: Type.String({ format: "date-time" }),
});

/** Binds a flow to the browser that started it; `__Host-` over https, as the session cookie. */
function flowCookieName(config: Config): string {
  return config.secureCookies ? "__Host-atrium_oauth" : "atrium_oauth";
}

function setFlowCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(flowCookieName(config), token, {
    httpOnly: true,
    // Lax: sent on the provider's top-level redirect back to the callback, not on subrequests.
    sameSite: "lax",
    path: "/",
    secure: config.secureCookies,
    maxAge: FLOW_TTL_MS / 1000,
  });
}

/** The console's page that says why a flow ended without signing in. */
function failurePage(
  config: Config,
  provider: string,
  reason: SocialFailure,
  intent?: string,
): string {
  const query = new URLSearchParams({ reason, provider, ...(intent ? { intent } : {}) });
  return `${config.publicUrl}/social-error?${query}`;
}

function reasonOf(error: unknown): SocialFailure {
  if (error instanceof SocialFlowError) return error.reason;
  if (error instanceof ProviderError) return error.reason;
  if (error instanceof AppError) {
    // A dead invitation link, or the caller's session: said on the page, not as JSON.
    if (error.code === "not_found") return "invitation_invalid";
    const known: readonly string[] = [
      "invitation_expired",
      "session_not_fresh",
      "unauthenticated",
      "forbidden",
      "rate_limited",
    ];
    if (known.includes(error.code)) return error.code as SocialFailure;
  }
  throw error;
}

const callbackSearch = (request: FastifyRequest) => {
  const at = request.url.indexOf("?");
  return at === -1 ? "" : request.url.slice(at);
};

const publicRoute = { public: true };

/** Social sign-in: the providers, the two redirect steps, and the account's linked identities. */
export function identityRoutes(api: Api, deps: Deps): void {
  const { config } = deps;
  const registry = new ProviderRegistry(config.socialProviders);

  api.get(
    "/auth/providers",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "listAuthProviders",
        summary: "List the social sign-in providers",
        description:
          "Anyone may call it. The providers configured on this instance, in the order to show " +
          "them; changes nothing.",
        response: {
          200: Json(
            "The configured providers.",
            Type.Object({ items: Type.Array(ProviderSchema) }),
          ),
        },
      },
    },
    async () => ({
      items: registry.list().map(({ config: p }) => ({ id: p.id, name: p.name, kind: p.kind })),
    }),
  );

  api.get(
    "/auth/oauth/:provider/start",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "startSocialSignIn",
        summary: "Start signing in with a social provider",
        description:
          "A browser navigation; anyone may call it. Starts an authorization code flow (PKCE, " +
          "state and nonce) and redirects to the provider. `intent` is `sign-in` (the default), " +
          "`link` (attach the identity to the signed-in account: fresh session) or " +
          "`reauthenticate` (make the session fresh through a linked provider). `returnTo` is a " +
          "path on this site (anything else returns to `/`); `invitation` is an invitation " +
          "link's token, accepted by a sign-up. A refusal redirects to the console's " +
          "`/social-error?reason=…` page; an unknown provider answers 404 `not_found`.",
        params: Type.Object({ provider: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(
          {
            intent: Type.Optional(
              Type.Union([
                Type.Literal("sign-in"),
                Type.Literal("link"),
                Type.Literal("reauthenticate"),
              ]),
            ),
            returnTo: Type.Optional(Type.String({ maxLength: 1024 })),
            invitation: Type.Optional(TokenField),
          },
          { additionalProperties: false },
        ),
        response: {
          302: Redirect(
            "To the provider's authorization page, or to the console's page saying why not.",
          ),
        },
        errors: ["not_found"],
      },
    },
    async (request, reply) => {
      const provider = requireProvider(registry, request.params.provider);
      const intent = request.query.intent ?? "sign-in";
      try {
        const started = await startOAuthFlow(
          deps,
          provider,
          request.auth,
          {
            intent,
            returnTo: request.query.returnTo,
            invitationToken: request.query.invitation,
            browserToken: request.cookies[flowCookieName(config)],
          },
          metaOf(request),
        );
        setFlowCookie(reply, config, started.browserToken);
        return reply.redirect(started.location, 302);
      } catch (error) {
        return reply.redirect(failurePage(config, provider.id, reasonOf(error), intent), 302);
      }
    },
  );

  api.get(
    "/auth/oauth/:provider/callback",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "finishSocialSignIn",
        summary: "Finish signing in with a social provider",
        description:
          "Where the provider sends the browser back; anyone may call it. Consumes the flow " +
          "(single use, this browser only, within 10 minutes), checks the answer, redeems the " +
          "code and validates the ID token, then signs in (session cookie set), links or " +
          "re-authenticates, and redirects to the flow's return path. A failure redirects to " +
          "the console's `/social-error?reason=…` page and is recorded in the audit log. The " +
          "query parameters are the provider's (`code`, `state`, `iss`, `error`…).",
        params: Type.Object({ provider: Type.String({ maxLength: 64 }) }),
        response: {
          302: Redirect("To the return path, or to the console's page saying why not."),
        },
        errors: ["not_found"],
      },
    },
    async (request, reply) => {
      const provider = requireProvider(registry, request.params.provider);
      try {
        const finished = await finishOAuthFlow(
          deps,
          provider,
          request.auth,
          {
            search: callbackSearch(request),
            browserToken: request.cookies[flowCookieName(config)],
          },
          metaOf(request),
        );
        if (finished.session) setSessionCookie(reply, config, finished.session, request.now);
        return reply.redirect(finished.location, 302);
      } catch (error) {
        return reply.redirect(failurePage(config, provider.id, reasonOf(error)), 302);
      }
    },
  );

  api.get(
    "/me/identities",
    {
      schema: {
        tags: ["me"],
        operationId: "listMyIdentities",
        summary: "List the account's linked social identities",
        description:
          "Any caller with a session or an API key not bound to an organization. The " +
          "identities that sign this account in, oldest first; changes nothing.",
        response: {
          200: Json("The linked identities.", Type.Object({ items: Type.Array(IdentitySchema) })),
        },
        errors: ["forbidden"],
      },
    },
    async (request) => listIdentities(deps, authOf(request), request.now),
  );

  api.delete(
    "/me/identities/:id",
    {
      schema: {
        tags: ["me"],
        operationId: "unlinkMyIdentity",
        summary: "Unlink a social identity",
        description:
          "The signed-in account, through a fresh session. Removes one linked identity; " +
          "409 `conflict` when it is the account's last way to sign in (no password and no " +
          "other identity).",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 204: NoBody("The identity is unlinked.") },
        errors: ["forbidden", "session_not_fresh", "not_found", "conflict"],
      },
    },
    async (request, reply) => {
      await unlinkIdentity(deps, authOf(request), request.params.id, metaOf(request));
      return reply.code(204).send();
    },
  );
}
