import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Body, Page, PageQuery, pageLimit } from "../http/schemas.js";
import { RoleSchema } from "../organizations/organization.js";
import { CreatedInvitationSchema, PendingInvitationSchema } from "./invitation.js";
import { inviteMembers, MAX_INVITATIONS_PER_REQUEST } from "./invite-members.js";
import {
  listOrganizationInvitations,
  resendInvitation,
  revokeInvitation,
} from "./manage-invitations.js";
import {
  listMyInvitations,
  previewInvitation,
  respondById,
  respondByToken,
} from "./respond-to-invitation.js";

const OrgParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });
const InvitationParams = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const MembershipSchema = Type.Object({
  organization: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  role: RoleSchema,
  joinedAt: Type.String({ format: "date-time" }),
});

const PreviewSchema = Type.Object({
  organization: Type.Object({ name: Type.String() }),
  role: RoleSchema,
  invitedBy: Type.Object({ name: Type.String() }),
  email: Type.String(),
  expiresAt: Type.String({ format: "date-time" }),
  status: Type.Literal("pending"),
});

const MyInvitationSchema = Type.Object({
  id: Type.String(),
  organization: Type.Object({ id: Type.String(), name: Type.String() }),
  role: RoleSchema,
  invitedBy: Type.Object({ name: Type.String() }),
  expiresAt: Type.String({ format: "date-time" }),
});

export function invitationRoutes(api: Api, deps: Deps): void {
  api.post(
    "/organizations/:org/invitations",
    {
      schema: {
        tags: ["invitations"],
        params: OrgParams,
        body: Body({
          emails: Type.Array(Type.String({ maxLength: 320 }), {
            minItems: 1,
            maxItems: MAX_INVITATIONS_PER_REQUEST,
          }),
          role: RoleSchema,
          delivery: Type.Union([Type.Literal("email"), Type.Literal("link")]),
        }),
        response: {
          201: Type.Object({
            invitations: Type.Array(CreatedInvitationSchema),
            rejected: Type.Array(Type.Object({ email: Type.String(), code: Type.String() })),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await inviteMembers(
        deps,
        authOf(request),
        request.params.org,
        request.body,
        metaOf(request),
      );
      const invitations = result.invitations.map(({ token: _token, ...invitation }) => invitation);
      return reply.code(201).send({ invitations, rejected: result.rejected });
    },
  );

  api.get(
    "/organizations/:org/invitations",
    {
      schema: {
        tags: ["invitations"],
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: Page(PendingInvitationSchema) },
      },
    },
    async (request) =>
      listOrganizationInvitations(
        deps,
        authOf(request),
        request.params.org,
        { limit: pageLimit(request.query.limit), cursor: request.query.cursor },
        request.now,
      ),
  );

  api.delete(
    "/organizations/:org/invitations/:id",
    { schema: { tags: ["invitations"], params: InvitationParams } },
    async (request, reply) => {
      await revokeInvitation(
        deps,
        authOf(request),
        request.params.org,
        request.params.id,
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );

  api.post(
    "/organizations/:org/invitations/:id/resend",
    {
      schema: {
        tags: ["invitations"],
        params: InvitationParams,
        response: { 202: Type.Object({ invitation: CreatedInvitationSchema }) },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await resendInvitation(
            deps,
            authOf(request),
            request.params.org,
            request.params.id,
            metaOf(request),
          ),
        ),
  );

  api.get(
    "/invitations/:token",
    {
      config: { public: true },
      schema: { tags: ["invitations"], params: TokenParams, response: { 200: PreviewSchema } },
    },
    async (request, reply) => {
      // The token is in the URL: keep it out of referrers and caches.
      reply.header("referrer-policy", "no-referrer");
      return previewInvitation(deps, request.params.token, metaOf(request));
    },
  );

  api.post(
    "/invitations/:token/accept",
    { schema: { tags: ["invitations"], params: TokenParams, response: { 200: MembershipSchema } } },
    async (request) =>
      respondByToken(deps, authOf(request), request.params.token, "accept", metaOf(request)),
  );

  api.post(
    "/invitations/:token/decline",
    { schema: { tags: ["invitations"], params: TokenParams } },
    async (request, reply) => {
      await respondByToken(deps, authOf(request), request.params.token, "decline", metaOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    "/me/invitations",
    {
      schema: { tags: ["me"], querystring: PageQuery, response: { 200: Page(MyInvitationSchema) } },
    },
    async (request) =>
      listMyInvitations(
        deps,
        authOf(request),
        { limit: pageLimit(request.query.limit), cursor: request.query.cursor },
        request.now,
      ),
  );

  api.post(
    "/me/invitations/:id/accept",
    { schema: { tags: ["me"], params: IdParams, response: { 200: MembershipSchema } } },
    async (request) =>
      respondById(deps, authOf(request), request.params.id, "accept", metaOf(request)),
  );

  api.post(
    "/me/invitations/:id/decline",
    { schema: { tags: ["me"], params: IdParams } },
    async (request, reply) => {
      await respondById(deps, authOf(request), request.params.id, "decline", metaOf(request));
      return reply.code(204).send();
    },
  );
}
