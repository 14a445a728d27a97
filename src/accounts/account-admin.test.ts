import { describe, expect, it } from "vitest";
import {
  expectError,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { runOperatorCommand } from "../operator/operator-commands.js";

// The operator's `atrium users disable|enable`, run as the server runs them for the command.
const t = await startTestApp();

const withKey = (secret: string) => ({ authorization: `Bearer ${secret}`, origin: undefined });

async function operator(command: "users-disable" | "users-enable" | "users-show", email: string) {
  const result = await runOperatorCommand(t.app.deps, { command, email });
  expect(result.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: the command's JSON answer, checked below.
  return (result as { body: any }).body;
}

describe("users disable and enable", () => {
  it("revokes the account's API keys, so that enabling it does not bring them back", async () => {
    const { client, email, user } = await signUpUser(t);
    const secrets: string[] = [];
    for (const name of ["deploy", "backup"]) {
      const created = await client.post("/me/api-keys", { name });
      expect(created.status).toBe(201);
      secrets.push(created.body.secret);
    }
    const script = t.client();
    for (const secret of secrets)
      expect((await script.get("/me", withKey(secret))).status).toBe(200);

    expect(await operator("users-disable", email)).toMatchObject({
      disabled: true,
      sessionsRevoked: 1,
      apiKeysRevoked: 2,
    });
    expect(await operator("users-enable", email)).toMatchObject({ disabled: false });

    for (const secret of secrets)
      expectError(await script.get("/me", withKey(secret)), 401, "unauthenticated");
    expect(await operator("users-show", email)).toMatchObject({ disabled: false, apiKeys: 0 });
    const session = t.client();
    expect((await session.post("/auth/sign-in", { email, password: STRONG_PASSWORD })).status).toBe(
      200,
    );
    expect((await session.get("/me/api-keys")).body.items).toEqual([]);

    const disabled = await t.app.deps.db
      .selectFrom("audit_events")
      .select("metadata")
      .where("subject_user_id", "=", user.id)
      .where("action", "=", "user.disabled")
      .executeTakeFirstOrThrow();
    expect(disabled.metadata).toEqual({ sessionsRevoked: 1, apiKeysRevoked: 2 });
  });

  it("leaves a key made after enabling working", async () => {
    const { email } = await signUpUser(t);
    await operator("users-disable", email);
    await operator("users-enable", email);
    const session = t.client();
    expect((await session.post("/auth/sign-in", { email, password: STRONG_PASSWORD })).status).toBe(
      200,
    );
    const created = await session.post("/me/api-keys", { name: "after" });
    expect(created.status).toBe(201);
    expect((await t.client().get("/me", withKey(created.body.secret))).status).toBe(200);
  });
});
