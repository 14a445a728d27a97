import Type from "typebox";
import type { PersonCaller } from "../access/caller.js";
import { instanceAllows } from "../access/policy.js";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { deviceCookieOf, setDeviceCookie } from "../http/device-cookie.js";
import { metaOf } from "../http/request-meta.js";
import { Json, NoBody } from "../http/responses.js";
import { Body, EmailField, NameField, PasswordField, TokenField } from "../http/schemas.js";
import { clearSessionCookie, setSessionCookie } from "../http/session-cookie.js";
import { RoleSchema } from "../organizations/organization.js";
import {
  changePassword,
  deleteAccount,
  reauthenticate,
  updateProfile,
} from "./account-settings.js";
import {
  cancelEmailChange,
  pendingEmailChange,
  requestEmailChange,
  resendVerification,
  verifyEmail,
} from "./email-verification.js";
import { confirmPasswordReset, requestPasswordReset } from "./password-reset.js";
import { signIn } from "./sign-in.js";
import { signUp } from "./sign-up.js";
import { toCurrentUser, type User, UserSchema } from "./user.js";

const UserEnvelope = Type.Object({ user: UserSchema });
/** The account, and what this instance lets it do that the console must know before asking. */
const MeSchema = Type.Intersect([
  UserSchema,
  Type.Object({
    canCreateOrganizations: Type.Boolean({
      description:
        "Whether this instance lets accounts create organizations (ATRIUM_ACCOUNTS_CREATE_ORGS); " +
        "when false, its operator creates them.",
    }),
  }),
]);
const PendingEmailChange = Type.Object({
  pendingEmail: Type.Union([
    Type.Object({
      email: Type.String({ description: "The new address, waiting for its link to be used." }),
      requestedAt: Type.String({ format: "date-time" }),
      expiresAt: Type.String({ format: "date-time", description: "When the link stops working." }),
    }),
    Type.Null(),
  ]),
});
const publicRoute = { public: true };

const currentUser = (auth: PersonCaller): User => toCurrentUser(auth.user);

/** Sign-up, sign-in, password reset, verification, and the signed-in account's own settings. */
export function accountRoutes(api: Api, deps: Deps): void {
  const { config } = deps;

  api.post(
    "/auth/sign-up",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "signUp",
        summary: "Create an account",
        description:
          "Anyone may call it while sign-up is open; with `ATRIUM_SIGNUP=invite-only` only with a " +
          "valid `invitationToken`. Creates the account (and the personal organization when that " +
          "setting is on), joins the invitation's organization when its email matches, emails a " +
          "verification link and signs in (sets the session cookie).",
        body: Body({
          email: EmailField,
          password: PasswordField,
          name: NameField,
          invitationToken: Type.Optional(TokenField),
        }),
        response: {
          201: Json(
            "The new account, and the organization it joined by invitation; the session cookie is set.",
            Type.Object({
              user: UserSchema,
              joined: Type.Optional(
                Type.Object({
                  organization: Type.Object({
                    id: Type.String(),
                    slug: Type.String(),
                    name: Type.String(),
                  }),
                  role: RoleSchema,
                }),
              ),
            }),
          ),
        },
        errors: [
          "signup_disabled",
          "not_found",
          "invitation_expired",
          "invitation_email_mismatch",
          "domain_not_allowed",
          "email_taken",
          "weak_password",
        ],
      },
    },
    async (request, reply) => {
      const { user, joined, session, device } = await signUp(deps, request.body, metaOf(request));
      setSessionCookie(reply, config, session, request.now);
      setDeviceCookie(reply, config, device, request.now);
      return reply.code(201).send(joined ? { user, joined } : { user });
    },
  );

  api.post(
    "/auth/sign-in",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "signIn",
        summary: "Sign in with email and password",
        description:
          "Anyone may call it. Creates a session and sets its cookie; a wrong email or password " +
          "answers 401 `invalid_credentials` alike, and repeated failures 429 `rate_limited`.",
        body: Body({ email: EmailField, password: PasswordField }),
        response: { 200: Json("The signed-in account; the session cookie is set.", UserEnvelope) },
        errors: ["invalid_credentials"],
      },
    },
    async (request, reply) => {
      const deviceToken = deviceCookieOf(request, config);
      const { user, session, device } = await signIn(
        deps,
        { ...request.body, deviceToken },
        metaOf(request),
      );
      setSessionCookie(reply, config, session, request.now);
      setDeviceCookie(reply, config, device, request.now);
      return { user };
    },
  );

  api.post(
    "/auth/reauthenticate",
    {
      schema: {
        tags: ["auth"],
        operationId: "reauthenticate",
        summary: "Make the current session fresh again",
        description:
          "The signed-in account, through its session cookie (not an API key). Checks the " +
          "password and marks the session fresh, as actions such as changing the password need.",
        body: Body({ password: PasswordField }),
        response: { 200: Json("The account; the session is fresh again.", UserEnvelope) },
        errors: ["forbidden", "invalid_password"],
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const session = await reauthenticate(deps, auth, request.body, metaOf(request));
      setSessionCookie(reply, config, session, request.now);
      return { user: currentUser(auth) };
    },
  );

  api.post(
    "/auth/password-reset",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "requestPasswordReset",
        summary: "Email a password reset link",
        description:
          "Anyone may call it. Emails a single-use reset link when the account exists; the " +
          "answer is the same either way.",
        body: Body({ email: EmailField }),
        response: { 202: NoBody("Accepted, whether or not the account exists.") },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body, metaOf(request));
      return reply.code(202).send();
    },
  );

  api.post(
    "/auth/password-reset/confirm",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "confirmPasswordReset",
        summary: "Set a new password with a reset link's token",
        description:
          "Anyone holding a reset token may call it. Sets the password, uses up the token and " +
          "revokes every session of the account.",
        body: Body({ token: TokenField, password: PasswordField }),
        response: { 204: NoBody("The password is changed; every session is revoked.") },
        errors: ["not_found", "weak_password"],
      },
    },
    async (request, reply) => {
      const device = await confirmPasswordReset(deps, request.body, metaOf(request));
      setDeviceCookie(reply, config, device, request.now);
      return reply.code(204).send();
    },
  );

  api.post(
    "/auth/verify-email",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        operationId: "verifyEmail",
        summary: "Verify an email address with a link's token",
        description:
          "Anyone holding a verification token may call it. Marks the address verified; a token " +
          "sent to a new address by `POST /me/email` makes that address the account's email.",
        body: Body({ token: TokenField }),
        response: { 204: NoBody("The address is verified.") },
        errors: ["not_found", "email_taken"],
      },
    },
    async (request, reply) => {
      await verifyEmail(deps, request.body, metaOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    "/me",
    {
      schema: {
        tags: ["me"],
        operationId: "getMe",
        summary: "Get the signed-in account",
        description: "Any caller with a session or an API key. Changes nothing.",
        response: { 200: Json("The caller's account.", MeSchema) },
      },
    },
    async (request) => ({
      ...currentUser(authOf(request)),
      canCreateOrganizations: instanceAllows(deps.config, "organizations.create"),
    }),
  );

  api.patch(
    "/me",
    {
      schema: {
        tags: ["me"],
        operationId: "updateMe",
        summary: "Update the signed-in account's profile",
        description:
          "The signed-in account (an organization-bound API key may not). Changes the display name.",
        body: Body({ name: Type.Optional(NameField) }),
        response: { 200: Json("The updated account.", UserSchema) },
        errors: ["forbidden"],
      },
    },
    async (request) => updateProfile(deps, authOf(request), request.body, metaOf(request)),
  );

  api.post(
    "/me/email",
    {
      schema: {
        tags: ["me"],
        operationId: "requestEmailChange",
        summary: "Change the account's email address",
        description:
          "The signed-in account, through a fresh session. Emails a verification link to the new " +
          "address and a notice to the old one; the change applies when the link is used.",
        body: Body({ newEmail: EmailField }),
        response: { 202: NoBody("The verification link is on its way.") },
        errors: ["session_not_fresh", "email_taken"],
      },
    },
    async (request, reply) => {
      await requestEmailChange(deps, authOf(request), request.body, metaOf(request));
      return reply.code(202).send();
    },
  );

  api.get(
    "/me/email-change",
    {
      schema: {
        tags: ["me"],
        operationId: "getMyEmailChange",
        summary: "Get the pending email change",
        description:
          "The signed-in account (an organization-bound API key may not). The address that " +
          "`POST /me/email` sent a link to, while that link still works; null otherwise.",
        response: { 200: Json("The pending email change, or null.", PendingEmailChange) },
      },
    },
    async (request) => ({
      pendingEmail: await pendingEmailChange(deps, authOf(request), request.now),
    }),
  );

  api.delete(
    "/me/email-change",
    {
      schema: {
        tags: ["me"],
        operationId: "cancelMyEmailChange",
        summary: "Cancel the pending email change",
        description:
          "The signed-in account (an organization-bound API key may not). The link sent to the " +
          "new address stops working and the address stays as it is; 204 also when nothing " +
          "was pending.",
        response: { 204: NoBody("No email change is pending any more.") },
      },
    },
    async (request, reply) => {
      await cancelEmailChange(deps, authOf(request), metaOf(request));
      return reply.code(204).send();
    },
  );

  api.post(
    "/me/email-verification",
    {
      schema: {
        tags: ["me"],
        operationId: "resendEmailVerification",
        summary: "Send a new verification link",
        description:
          "The signed-in account (an organization-bound API key may not). Emails a new link to " +
          "verify the account's address.",
        response: { 202: NoBody("The verification link is on its way.") },
        errors: ["forbidden", "conflict"],
      },
    },
    async (request, reply) => {
      await resendVerification(deps, authOf(request), metaOf(request));
      return reply.code(202).send();
    },
  );

  api.post(
    "/me/password",
    {
      schema: {
        tags: ["me"],
        operationId: "changePassword",
        summary: "Change the account's password",
        description:
          "The signed-in account, through a fresh session. Checks the current password, sets the " +
          "new one and, with `revokeOtherSessions`, signs out every other session.",
        response: { 204: NoBody("The password is changed.") },
        errors: ["session_not_fresh", "invalid_password", "weak_password"],
        body: Body({
          currentPassword: PasswordField,
          newPassword: PasswordField,
          revokeOtherSessions: Type.Boolean(),
        }),
      },
    },
    async (request, reply) => {
      const session = await changePassword(deps, authOf(request), request.body, metaOf(request));
      setSessionCookie(reply, config, session, request.now);
      return reply.code(204).send();
    },
  );

  api.delete(
    "/me",
    {
      schema: {
        tags: ["me"],
        operationId: "deleteMe",
        summary: "Delete the signed-in account",
        description:
          "The signed-in account, through a fresh session. Deletes the account, its memberships " +
          "and sessions; 409 `last_owner` while it is the only owner of an organization with " +
          "other members.",
        response: { 204: NoBody("The account is deleted; the session cookie is cleared.") },
        errors: ["session_not_fresh", "last_owner"],
      },
    },
    async (request, reply) => {
      await deleteAccount(deps, authOf(request), metaOf(request));
      clearSessionCookie(reply, config);
      return reply.code(204).send();
    },
  );
}
