import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
import { Body, NameField, Page, PageQuery, pageLimit } from "../http/schemas.js";
import { OrganizationSchema, RoleSchema } from "./organization.js";
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  listMyOrganizations,
  updateOrganization,
} from "./organizations.service.js";

export const OrgParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });
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
        operationId: "createOrganization",
        summary: "Create an organization",
        description:
          "Any signed-in account (an organization-bound API key may not). Creates the " +
          "organization, with a slug derived from its name unless one is given; the caller " +
          "becomes its owner.",
        body: Body({ name: NameField, slug: Type.Optional(SlugField) }),
        response: { 201: Json("The new organization.", OrganizationSchema) },
        errors: ["forbidden", "conflict"],
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
      schema: {
        tags: ["organizations"],
        operationId: "getOrganization",
        summary: "Get an organization",
        description:
          "Its members. `{org}` is the id or the slug; changes nothing. Anyone else gets 404.",
        params: OrgParams,
        response: { 200: Json("The organization, with the caller's role.", OrganizationSchema) },
        errors: ["forbidden", "not_found"],
      },
    },
    async (request) => getOrganization(deps, authOf(request), request.params.org, request.now),
  );

  api.patch(
    "/organizations/:org",
    {
      schema: {
        tags: ["organizations"],
        operationId: "updateOrganization",
        summary: "Update an organization's settings",
        description:
          "Owners and admins. Changes the name, the slug or the email domains whose people may " +
          "be invited; 409 `conflict` for a slug in use.",
        params: OrgParams,
        body: Body({
          name: Type.Optional(NameField),
          slug: Type.Optional(SlugField),
          allowedEmailDomains: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 50 }),
          ),
        }),
        response: { 200: Json("The updated organization.", OrganizationSchema) },
        errors: ["forbidden", "not_found", "conflict"],
      },
    },
    async (request) =>
      updateOrganization(deps, authOf(request), request.params.org, request.body, metaOf(request)),
  );

  api.delete(
    "/organizations/:org",
    {
      schema: {
        tags: ["organizations"],
        operationId: "deleteOrganization",
        summary: "Delete an organization",
        description:
          "Owners, through a fresh session. Deletes the organization with its memberships, " +
          "invitations and API keys bound to it.",
        params: OrgParams,
        response: { 204: NoBody("The organization is deleted.") },
        errors: ["forbidden", "session_not_fresh", "not_found"],
      },
    },
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
        operationId: "listMyOrganizations",
        summary: "List the account's organizations",
        description:
          "Any caller with a session or an API key (a bound key sees its organization only). " +
          "The organizations the account belongs to, with its role; changes nothing.",
        querystring: PageQuery,
        response: { 200: Json("A page of memberships.", Page(MyOrganizationSchema)) },
      },
    },
    async (request) =>
      listMyOrganizations(deps, authOf(request), {
        limit: pageLimit(request.query.limit),
        cursor: request.query.cursor,
      }),
  );
}
