import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { accountAuthOf, authOf, freshAuthOf, sessionAuthOf } from "../http/authenticate.js";
import { deviceCookieOf, setDeviceCookie } from "../http/device-cookie.js";
import { metaOf } from "../http/request-meta.js";
import { Body, EmailField, NameField, PasswordField, TokenField } from "../http/schemas.js";
import { clearSessionCookie, setSessionCookie } from "../http/session-cookie.js";
import { fail } from "../lib/errors.js";
import type { AuthState } from "../sessions/session-cache.js";
import {
  changePassword,
  deleteAccount,
  reauthenticate,
  updateProfile,
} from "./account-settings.js";
import { requestEmailChange, resendVerification, verifyEmail } from "./email-verification.js";
import { confirmPasswordReset, requestPasswordReset } from "./password-reset.js";
import { signIn } from "./sign-in.js";
import { signUp } from "./sign-up.js";
import { type User, UserSchema } from "./user.js";

const UserEnvelope = Type.Object({ user: UserSchema });
const publicRoute = { public: true };

function currentUser(auth: AuthState): User {
  return {
    id: auth.user.id,
    email: auth.user.email,
    name: auth.user.name,
    emailVerified: auth.user.emailVerifiedAt !== null,
    createdAt: auth.user.createdAt.toISOString(),
  };
}

/** Sign-up, sign-in, password reset, verification, and the signed-in account's own settings. */
export function accountRoutes(api: Api, deps: Deps): void {
  const { config } = deps;

  api.post(
    "/auth/sign-up",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        body: Body({
          email: EmailField,
          password: PasswordField,
          name: NameField,
          invitationToken: Type.Optional(TokenField),
        }),
        response: { 201: UserEnvelope },
      },
    },
    async (request, reply) => {
      const { user, session, device } = await signUp(deps, request.body, metaOf(request));
      setSessionCookie(reply, config, session, request.now);
      setDeviceCookie(reply, config, device, request.now);
      return reply.code(201).send({ user });
    },
  );

  api.post(
    "/auth/sign-in",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        body: Body({ email: EmailField, password: PasswordField }),
        response: { 200: UserEnvelope },
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
        body: Body({ password: PasswordField }),
        response: { 200: UserEnvelope },
      },
    },
    async (request, reply) => {
      const auth = sessionAuthOf(request);
      const session = await reauthenticate(deps, auth, request.body, metaOf(request));
      setSessionCookie(reply, config, session, request.now);
      return { user: currentUser(auth) };
    },
  );

  api.post(
    "/auth/password-reset",
    { config: publicRoute, schema: { tags: ["auth"], body: Body({ email: EmailField }) } },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body, metaOf(request));
      return reply.code(202).send();
    },
  );

  api.post(
    "/auth/password-reset/confirm",
    {
      config: publicRoute,
      schema: { tags: ["auth"], body: Body({ token: TokenField, password: PasswordField }) },
    },
    async (request, reply) => {
      const device = await confirmPasswordReset(deps, request.body, metaOf(request));
      setDeviceCookie(reply, config, device, request.now);
      return reply.code(204).send();
    },
  );

  api.post(
    "/auth/verify-email",
    { config: publicRoute, schema: { tags: ["auth"], body: Body({ token: TokenField }) } },
    async (request, reply) => {
      await verifyEmail(deps, request.body, metaOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    "/auth/providers",
    {
      config: publicRoute,
      schema: {
        tags: ["auth"],
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
          }),
        },
      },
    },
    async () => ({ items: [] }),
  );

  // No social sign-in provider can be configured yet (the list above is empty), so both steps of
  // the authorization code flow answer 404 for every provider; the routes still exist so that
  // clients and the OpenAPI document see the contract's paths.
  for (const step of ["start", "callback"] as const) {
    api.get(
      `/auth/oauth/:provider/${step}`,
      {
        config: publicRoute,
        schema: {
          tags: ["auth"],
          description: `Social sign-in, ${step === "start" ? "first" : "second"} step (redirects).`,
          params: Type.Object({ provider: Type.String({ maxLength: 64 }) }),
        },
      },
      async () => {
        throw fail("not_found", "This sign-in provider is not configured.");
      },
    );
  }

  api.get("/me", { schema: { tags: ["me"], response: { 200: UserSchema } } }, async (request) =>
    currentUser(authOf(request)),
  );

  api.patch(
    "/me",
    {
      schema: {
        tags: ["me"],
        body: Body({ name: Type.Optional(NameField) }),
        response: { 200: UserSchema },
      },
    },
    async (request) => updateProfile(deps, accountAuthOf(request), request.body, metaOf(request)),
  );

  api.post(
    "/me/email",
    { schema: { tags: ["me"], body: Body({ newEmail: EmailField }) } },
    async (request, reply) => {
      await requestEmailChange(deps, freshAuthOf(deps, request), request.body, metaOf(request));
      return reply.code(202).send();
    },
  );

  api.post("/me/email-verification", { schema: { tags: ["me"] } }, async (request, reply) => {
    await resendVerification(deps, accountAuthOf(request), metaOf(request));
    return reply.code(202).send();
  });

  api.post(
    "/me/password",
    {
      schema: {
        tags: ["me"],
        body: Body({
          currentPassword: PasswordField,
          newPassword: PasswordField,
          revokeOtherSessions: Type.Boolean(),
        }),
      },
    },
    async (request, reply) => {
      const session = await changePassword(
        deps,
        freshAuthOf(deps, request),
        request.body,
        metaOf(request),
      );
      setSessionCookie(reply, config, session, request.now);
      return reply.code(204).send();
    },
  );

  api.delete("/me", { schema: { tags: ["me"] } }, async (request, reply) => {
    await deleteAccount(deps, freshAuthOf(deps, request), metaOf(request));
    clearSessionCookie(reply, config);
    return reply.code(204).send();
  });
}
