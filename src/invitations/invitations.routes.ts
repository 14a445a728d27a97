import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
import { Body, Page, PageQuery, pageLimit } from "../http/schemas.js";
import type { ErrorCode } from "../lib/errors.js";
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

// Accepting and declining go through one use case (respond-to-invitation.ts), so they
// answer the same refusals.
const RESPONSE_BY_TOKEN_ERRORS: readonly ErrorCode[] = [
  "forbidden",
  "invitation_email_mismatch",
  "email_not_verified",
  "not_found",
  "invitation_expired",
  "domain_not_allowed",
];
const RESPONSE_BY_ID_ERRORS: readonly ErrorCode[] = [
  "forbidden",
  "not_found",
  "invitation_expired",
  "domain_not_allowed",
];

export function invitationRoutes(api: Api, deps: Deps): void {
  api.post(
    "/organizations/:org/invitations",
    {
      schema: {
        tags: ["invitations"],
        operationId: "createInvitations",
        summary: "Invite people to an organization",
        description:
          "Owners (any role) and admins (admin or member). Creates one invitation per address and " +
          "emails it, or returns its link (`delivery: link`); an address that cannot be invited " +
          "is listed in `rejected`. A role the caller may not grant is 403 `forbidden` for all.",
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
          201: Json(
            "The invitations made, and the addresses refused with their codes.",
            Type.Object({
              invitations: Type.Array(CreatedInvitationSchema),
              rejected: Type.Array(Type.Object({ email: Type.String(), code: Type.String() })),
            }),
          ),
        },
        errors: ["forbidden", "session_not_fresh", "email_not_verified", "not_found"],
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
      return reply.code(201).send(result);
    },
  );

  api.get(
    "/organizations/:org/invitations",
    {
      schema: {
        tags: ["invitations"],
        operationId: "listInvitations",
        summary: "List an organization's pending invitations",
        description: "Owners and admins. Invitations not yet answered or expired; changes nothing.",
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: Json("A page of pending invitations.", Page(PendingInvitationSchema)) },
        errors: ["forbidden", "not_found"],
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
    {
      schema: {
        tags: ["invitations"],
        operationId: "revokeInvitation",
        summary: "Revoke an invitation",
        description: "Owners and admins. The invitation's link stops working.",
        params: InvitationParams,
        response: { 204: NoBody("The invitation is revoked.") },
        errors: ["forbidden", "session_not_fresh", "not_found"],
      },
    },
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
        operationId: "resendInvitation",
        summary: "Resend an invitation",
        description:
          "Owners and admins. Gives the invitation a new token and expiry and sends it again " +
          "(or returns its new link); the old link stops working.",
        params: InvitationParams,
        response: {
          202: Json(
            "The renewed invitation (with `url` for link delivery).",
            Type.Object({ invitation: CreatedInvitationSchema }),
          ),
        },
        errors: ["forbidden", "session_not_fresh", "email_not_verified", "not_found"],
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
      schema: {
        tags: ["invitations"],
        operationId: "previewInvitation",
        summary: "Preview an invitation by its token",
        description:
          "Anyone holding the link. What the invitation offers; changes nothing. 404 for a dead " +
          "token, 410 `invitation_expired` for an expired one.",
        params: TokenParams,
        response: { 200: Json("The pending invitation.", PreviewSchema) },
        errors: ["not_found", "invitation_expired"],
      },
    },
    async (request, reply) => {
      // The token is in the URL: keep it out of referrers and caches.
      reply.header("referrer-policy", "no-referrer");
      return previewInvitation(deps, request.params.token, metaOf(request));
    },
  );

  api.post(
    "/invitations/:token/accept",
    {
      schema: {
        tags: ["invitations"],
        operationId: "acceptInvitation",
        summary: "Accept an invitation by its token",
        description:
          "The signed-in account whose verified email is the invited one. Joins the organization " +
          "with the invited role and uses up the invitation.",
        params: TokenParams,
        response: { 200: Json("The new membership.", MembershipSchema) },
        errors: RESPONSE_BY_TOKEN_ERRORS,
      },
    },
    async (request) =>
      respondByToken(deps, authOf(request), request.params.token, "accept", metaOf(request)),
  );

  api.post(
    "/invitations/:token/decline",
    {
      schema: {
        tags: ["invitations"],
        operationId: "declineInvitation",
        summary: "Decline an invitation by its token",
        description:
          "The signed-in account whose verified email is the invited one. The invitation is " +
          "declined and its link stops working.",
        params: TokenParams,
        response: { 204: NoBody("The invitation is declined.") },
        errors: RESPONSE_BY_TOKEN_ERRORS,
      },
    },
    async (request, reply) => {
      await respondByToken(deps, authOf(request), request.params.token, "decline", metaOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    "/me/invitations",
    {
      schema: {
        tags: ["me"],
        operationId: "listMyInvitations",
        summary: "List the invitations addressed to the account",
        description:
          "Any caller with a session or an API key. Pending invitations to the account's " +
          "verified email; changes nothing.",
        querystring: PageQuery,
        response: { 200: Json("A page of pending invitations.", Page(MyInvitationSchema)) },
      },
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
    {
      schema: {
        tags: ["me"],
        operationId: "acceptMyInvitation",
        summary: "Accept an invitation of the account's list",
        description:
          "The signed-in account, for an invitation of `GET /me/invitations`. Joins the " +
          "organization with the invited role.",
        params: IdParams,
        response: { 200: Json("The new membership.", MembershipSchema) },
        errors: RESPONSE_BY_ID_ERRORS,
      },
    },
    async (request) =>
      respondById(deps, authOf(request), request.params.id, "accept", metaOf(request)),
  );

  api.post(
    "/me/invitations/:id/decline",
    {
      schema: {
        tags: ["me"],
        operationId: "declineMyInvitation",
        summary: "Decline an invitation of the account's list",
        description:
          "The signed-in account, for an invitation of `GET /me/invitations`. The invitation is " +
          "declined.",
        params: IdParams,
        response: { 204: NoBody("The invitation is declined.") },
        errors: RESPONSE_BY_ID_ERRORS,
      },
    },
    async (request, reply) => {
      await respondById(deps, authOf(request), request.params.id, "decline", metaOf(request));
      return reply.code(204).send();
    },
  );
}
