import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { accountAuthOf, freshAuthOf, sessionAuthOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Page, PageQuery, pageLimit } from "../http/schemas.js";
import { clearSessionCookie } from "../http/session-cookie.js";
import { listSessions, revokeOtherSessions, revokeSession, signOut } from "./sessions.service.js";

const SessionSchema = Type.Object(
  {
    id: Type.String(),
    current: Type.Boolean(),
    createdAt: Type.String({ format: "date-time" }),
    lastActiveAt: Type.String({ format: "date-time" }),
    expiresAt: Type.String({ format: "date-time" }),
    ipAddress: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "Session" },
);

/** Signing out, and the account's list of signed-in devices. */
export function sessionRoutes(api: Api, deps: Deps): void {
  api.post("/auth/sign-out", { schema: { tags: ["auth"] } }, async (request, reply) => {
    await signOut(deps, sessionAuthOf(request), metaOf(request));
    clearSessionCookie(reply, deps.config);
    return reply.code(204).send();
  });

  api.get(
    "/me/sessions",
    { schema: { tags: ["me"], querystring: PageQuery, response: { 200: Page(SessionSchema) } } },
    async (request) =>
      listSessions(
        deps,
        accountAuthOf(request),
        { limit: pageLimit(request.query.limit), cursor: request.query.cursor },
        request.now,
      ),
  );

  api.delete(
    "/me/sessions/:id",
    { schema: { tags: ["me"], params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      const auth = accountAuthOf(request);
      await revokeSession(deps, auth, request.params.id, metaOf(request));
      if (request.params.id === auth.session.id) clearSessionCookie(reply, deps.config);
      return reply.code(204).send();
    },
  );

  api.delete("/me/sessions", { schema: { tags: ["me"] } }, async (request, reply) => {
    await revokeOtherSessions(deps, freshAuthOf(deps, request), metaOf(request));
    return reply.code(204).send();
  });
}
