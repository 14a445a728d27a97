import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
import { Body, Page, pageLimit } from "../http/schemas.js";
import { RoleSchema } from "../organizations/organization.js";
import { MemberSchema } from "./member.js";
import { changeMemberRole, listOrganizationMembers, removeMember } from "./memberships.service.js";

const MemberParams = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  memberId: Type.String({ minLength: 1, maxLength: 64 }),
});

const MembersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(RoleSchema),
    limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,4}$" })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export function membershipRoutes(api: Api, deps: Deps): void {
  api.get(
    "/organizations/:org/members",
    {
      schema: {
        tags: ["organizations"],
        operationId: "listMembers",
        summary: "List an organization's members",
        description:
          "Its members. `q` matches part of a name or email in any letter case, `role` keeps " +
          "one role; changes nothing.",
        params: Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: MembersQuery,
        response: { 200: Json("A page of members.", Page(MemberSchema)) },
        errors: ["forbidden", "not_found"],
      },
    },
    async (request) => {
      const { q, role, cursor, limit } = request.query;
      return listOrganizationMembers(
        deps,
        authOf(request),
        request.params.org,
        { q, role, cursor, limit: pageLimit(limit) },
        request.now,
      );
    },
  );

  api.patch(
    "/organizations/:org/members/:memberId",
    {
      schema: {
        tags: ["organizations"],
        operationId: "changeMemberRole",
        summary: "Change a member's role",
        description:
          "Owners (any role) and admins (between admin and member, never of an owner). Changes " +
          "the member's role; 409 `last_owner` when it would leave no owner.",
        params: MemberParams,
        body: Body({ role: RoleSchema }),
        response: { 200: Json("The member with the new role.", MemberSchema) },
        errors: ["forbidden", "session_not_fresh", "not_found", "last_owner"],
      },
    },
    async (request) =>
      changeMemberRole(
        deps,
        authOf(request),
        request.params.org,
        request.params.memberId,
        request.body.role,
        metaOf(request),
      ),
  );

  api.delete(
    "/organizations/:org/members/:memberId",
    {
      schema: {
        tags: ["organizations"],
        operationId: "removeMember",
        summary: "Remove a member, or leave",
        description:
          "Owners (anyone), admins (admins and members, not an owner), and any member for " +
          "themself (leaving). Ends the membership; 409 `last_owner` when it would leave no owner.",
        params: MemberParams,
        response: { 204: NoBody("The membership has ended.") },
        errors: ["forbidden", "session_not_fresh", "not_found", "last_owner"],
      },
    },
    async (request, reply) => {
      await removeMember(
        deps,
        authOf(request),
        request.params.org,
        request.params.memberId,
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );
}
