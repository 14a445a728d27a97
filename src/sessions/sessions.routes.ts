import Type from "typebox";
import { currentSessionIdOf } from "../access/caller.js";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
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
    device: Type.Object(
      {
        browser: Type.Union([Type.String(), Type.Null()], { description: "Chrome, Firefox…" }),
        browserVersion: Type.Union([Type.String(), Type.Null()], {
          description: "The browser's major version: 156.",
        }),
        os: Type.Union([Type.String(), Type.Null()], { description: "Linux, macOS, iOS…" }),
        kind: Type.Union([Type.String(), Type.Null()], {
          description: "desktop, mobile, tablet, tv or bot.",
        }),
        label: Type.String({
          description:
            'The line a person knows the device by: "Chrome 156 on Linux"; for a user agent ' +
            'that names no browser, its first word ("curl/8.5.0"); without one, "Unknown device".',
        }),
      },
      { description: "The user agent, parsed once when the session started; null where unknown." },
    ),
  },
  { $id: "Session" },
);

/** Signing out, and the account's list of signed-in devices. */
export function sessionRoutes(api: Api, deps: Deps): void {
  api.post(
    "/auth/sign-out",
    {
      schema: {
        tags: ["auth"],
        operationId: "signOut",
        summary: "Sign out",
        description:
          "The signed-in account, through its session cookie (not an API key). Deletes the " +
          "session and clears the cookie.",
        response: { 204: NoBody("Signed out; the cookie is cleared.") },
        errors: ["forbidden"],
      },
    },
    async (request, reply) => {
      await signOut(deps, authOf(request), metaOf(request));
      clearSessionCookie(reply, deps.config);
      return reply.code(204).send();
    },
  );

  api.get(
    "/me/sessions",
    {
      schema: {
        tags: ["me"],
        operationId: "listMySessions",
        summary: "List the account's sessions",
        description:
          "Any caller with a session or an API key. The account's signed-in devices, newest " +
          "first, the current one marked; changes nothing.",
        querystring: PageQuery,
        response: { 200: Json("A page of sessions.", Page(SessionSchema)) },
        errors: ["forbidden"],
      },
    },
    async (request) =>
      listSessions(
        deps,
        authOf(request),
        { limit: pageLimit(request.query.limit), cursor: request.query.cursor },
        request.now,
      ),
  );

  api.delete(
    "/me/sessions/:id",
    {
      schema: {
        tags: ["me"],
        operationId: "revokeMySession",
        summary: "Revoke one of the account's sessions",
        description:
          "The signed-in account (an organization-bound API key may not). Signs that device out " +
          "at once, in every process; revoking the current session also clears its cookie.",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 204: NoBody("The session is revoked.") },
        errors: ["forbidden", "not_found"],
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      await revokeSession(deps, auth, request.params.id, metaOf(request));
      if (request.params.id === currentSessionIdOf(auth)) clearSessionCookie(reply, deps.config);
      return reply.code(204).send();
    },
  );

  api.delete(
    "/me/sessions",
    {
      schema: {
        tags: ["me"],
        operationId: "revokeMyOtherSessions",
        summary: "Revoke every other session",
        description:
          "The signed-in account, through a fresh session. Signs out every session of the " +
          "account except the current one.",
        response: { 204: NoBody("Every other session is revoked.") },
        errors: ["session_not_fresh"],
      },
    },
    async (request, reply) => {
      await revokeOtherSessions(deps, authOf(request), metaOf(request));
      return reply.code(204).send();
    },
  );
}
