import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { accountAuthOf, authOf, freshAuthOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Body, Page, PageQuery, pageLimit } from "../http/schemas.js";
import { ApiKeySchema, createApiKey, listApiKeys, revokeApiKey } from "./api-keys.service.js";

export function apiKeyRoutes(api: Api, deps: Deps): void {
  api.get(
    "/me/api-keys",
    {
      schema: { tags: ["api-keys"], querystring: PageQuery, response: { 200: Page(ApiKeySchema) } },
    },
    async (request) =>
      listApiKeys(deps, authOf(request), {
        limit: pageLimit(request.query.limit),
        cursor: request.query.cursor,
      }),
  );

  api.post(
    "/me/api-keys",
    {
      schema: {
        tags: ["api-keys"],
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          expiresAt: Type.Optional(Type.String({ format: "date-time" })),
          organizationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: { 201: Type.Object({ apiKey: ApiKeySchema, secret: Type.String() }) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createApiKey(deps, freshAuthOf(deps, request), request.body, metaOf(request))),
  );

  api.delete(
    "/me/api-keys/:id",
    {
      schema: {
        tags: ["api-keys"],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps, accountAuthOf(request), request.params.id, metaOf(request));
      return reply.code(204).send();
    },
  );
}
