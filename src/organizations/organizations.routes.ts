import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Body, Page, PageQuery, pageLimit } from "../http/schemas.js";
import { OrganizationSchema, RoleSchema } from "./organization.js";
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  listMyOrganizations,
  updateOrganization,
} from "./organizations.service.js";

export const OrgParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });
const NameField = Type.String({ minLength: 1, maxLength: 200 });
const SlugField = Type.String({ minLength: 1, maxLength: 48 });

const MyOrganizationSchema = Type.Object({
  organization: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  role: RoleSchema,
  joinedAt: Type.String({ format: "date-time" }),
});

export function organizationRoutes(api: Api, deps: Deps): void {
  api.post(
    "/organizations",
    {
      schema: {
        tags: ["organizations"],
        body: Body({ name: NameField, slug: Type.Optional(SlugField) }),
        response: { 201: OrganizationSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createOrganization(deps, authOf(request), request.body, metaOf(request))),
  );

  api.get(
    "/organizations/:org",
    {
      schema: { tags: ["organizations"], params: OrgParams, response: { 200: OrganizationSchema } },
    },
    async (request) => getOrganization(deps, authOf(request), request.params.org, request.now),
  );

  api.patch(
    "/organizations/:org",
    {
      schema: {
        tags: ["organizations"],
        params: OrgParams,
        body: Body({
          name: Type.Optional(NameField),
          slug: Type.Optional(SlugField),
          allowedEmailDomains: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 50 }),
          ),
        }),
        response: { 200: OrganizationSchema },
      },
    },
    async (request) =>
      updateOrganization(deps, authOf(request), request.params.org, request.body, metaOf(request)),
  );

  api.delete(
    "/organizations/:org",
    { schema: { tags: ["organizations"], params: OrgParams } },
    async (request, reply) => {
      await deleteOrganization(deps, authOf(request), request.params.org, metaOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    "/me/organizations",
    {
      schema: {
        tags: ["me"],
        querystring: PageQuery,
        response: { 200: Page(MyOrganizationSchema) },
      },
    },
    async (request) =>
      listMyOrganizations(deps, authOf(request), {
        limit: pageLimit(request.query.limit),
        cursor: request.query.cursor,
      }),
  );
}
