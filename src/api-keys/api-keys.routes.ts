import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
import { Body, NameField, Page, PageQuery, pageLimit } from "../http/schemas.js";
import { ApiKeySchema, createApiKey, listApiKeys, revokeApiKey } from "./api-keys.service.js";

export function apiKeyRoutes(api: Api, deps: Deps): void {
  api.get(
    "/me/api-keys",
    {
      schema: {
        tags: ["api-keys"],
        operationId: "listApiKeys",
        summary: "List the account's API keys",
        description:
          "Any caller with a session or an API key. The account's keys without their secrets; " +
          "changes nothing.",
        querystring: PageQuery,
        response: { 200: Json("A page of API keys.", Page(ApiKeySchema)) },
      },
    },
    async (request) =>
      listApiKeys(
        deps,
        authOf(request),
        { limit: pageLimit(request.query.limit), cursor: request.query.cursor },
        request.now,
      ),
  );

  api.post(
    "/me/api-keys",
    {
      schema: {
        tags: ["api-keys"],
        operationId: "createApiKey",
        summary: "Create an API key",
        description:
          "The signed-in account, through a fresh session (never with an API key). Creates a key " +
          "acting as the account, optionally bound to one organization and with an expiry; its " +
          "secret is returned here only.",
        body: Body({
          name: NameField,
          expiresAt: Type.Optional(Type.String({ format: "date-time" })),
          organizationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: {
          201: Json(
            "The new key and its secret (shown once).",
            Type.Object({ apiKey: ApiKeySchema, secret: Type.String() }),
          ),
        },
        errors: ["session_not_fresh", "not_found"],
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createApiKey(deps, authOf(request), request.body, metaOf(request))),
  );

  api.delete(
    "/me/api-keys/:id",
    {
      schema: {
        tags: ["api-keys"],
        operationId: "revokeApiKey",
        summary: "Revoke an API key",
        description:
          "The signed-in account (an organization-bound API key may not). The key stops working " +
          "at once, in every process.",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: NoBody("The key is revoked.") },
        errors: ["forbidden", "not_found"],
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps, authOf(request), request.params.id, metaOf(request));
      return reply.code(204).send();
    },
  );
}
