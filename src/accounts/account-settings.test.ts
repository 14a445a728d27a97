import { describe, expect, it } from "vitest";
import {
  errorCode,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();
const inviteOnly = await startTestApp({ env: { ATRIUM_SIGNUP: "invite-only" } });

const NEW_PASSWORD = "amber-lantern-orchard-17";

async function auditActions(userId: string): Promise<string[]> {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .select("action")
    .where("subject_user_id", "=", userId)
    .orderBy("id")
    .execute();
  return rows.map((row) => row.action);
}

function signIn(email: string, password: string) {
  return t.client().post("/auth/sign-in", { email, password });
}

/** A second device signed in to the same account. */
async function otherDevice(email: string, password = STRONG_PASSWORD) {
  const device = t.client();
  expect((await device.post("/auth/sign-in", { email, password })).status).toBe(200);
  return device;
}

describe("GET /me and PATCH /me", () => {
  it("shows the signed-in account and refuses a request without a session", async () => {
    const { client, email, name, user } = await signUpUser(t);
    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      id: user.id,
      email,
      name,
      emailVerified: false,
      hasPassword: true,
      createdAt: expect.stringMatching(/Z$/),
      canCreateOrganizations: true,
    });
    const anonymous = await t.client().get("/me");
    expect(anonymous.status).toBe(401);
    expect(errorCode(anonymous)).toBe("unauthenticated");
  });

  it("renames the account, trims the name, allows 100 code points and records user.updated", async () => {
    const { client, user } = await signUpUser(t);
    const reply = await client.patch("/me", { name: "  Grace Hopper  " });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: user.id, name: "Grace Hopper" });
    expect((await client.get("/me")).body.name).toBe("Grace Hopper");
    expect(await auditActions(user.id)).toContain("user.updated");
    const longest = await client.patch("/me", { name: "🌻".repeat(100) });
    expect(longest.status).toBe(200);
    expect(longest.body.name).toBe("🌻".repeat(100));
  });

  it.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["longer than 100 characters", "n".repeat(101)],
    ["a control character", "Bell\u0007Name"],
    ["a bidi override", "Evil\u202Egnp.exe"],
    ["a zero-width space", "Zero\u200BWidth"],
  ])("refuses a name that is %s with 400 naming the field", async (_label, name) => {
    const { client } = await signUpUser(t);
    const before = (await client.get("/me")).body.name;
    const reply = await client.patch("/me", { name });
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe("invalid_request");
    expect(reply.body.error.details).toContainEqual(expect.objectContaining({ field: "name" }));
    expect((await client.get("/me")).body.name).toBe(before);
  });

  it.each([
    ["emailVerified", true],
    ["email", "someone-else@example.com"],
  ])("refuses the unknown field %s and changes nothing", async (field, value) => {
    const { client, email } = await signUpUser(t);
    const reply = await client.patch("/me", { name: "Mallory", [field]: value });
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe("invalid_request");
    expect(reply.body.error.details).toContainEqual(expect.objectContaining({ field }));
    const me = await client.get("/me");
    expect(me.body).toMatchObject({ email, emailVerified: false });
    expect(me.body.name).not.toBe("Mallory");
  });
});

describe("POST /me/password", () => {
  const change = (overrides: Record<string, unknown> = {}) => ({
    currentPassword: STRONG_PASSWORD,
    newPassword: NEW_PASSWORD,
    revokeOtherSessions: false,
    ...overrides,
  });

  it("requires a fresh session", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(61 * 60_000);
    const reply = await client.post("/me/password", change());
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe("session_not_fresh");
  });

  it("refuses a wrong current password", async () => {
    const { client, email } = await signUpUser(t);
    const reply = await client.post("/me/password", change({ currentPassword: "not-my-password" }));
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe("invalid_password");
    expect((await signIn(email, STRONG_PASSWORD)).status).toBe(200);
  });

  it("refuses a weak new password and says why", async () => {
    const { client } = await signUpUser(t);
    for (const [newPassword, why] of [
      ["short", /at least 8 characters/],
      ["password1", /common/],
    ] as const) {
      const reply = await client.post("/me/password", change({ newPassword }));
      expect(reply.status).toBe(422);
      expect(errorCode(reply)).toBe("weak_password");
      expect(reply.body.error.message).toMatch(why);
    }
    const tooLong = await client.post("/me/password", change({ newPassword: "p".repeat(1025) }));
    expect(tooLong.status).toBe(400);
    expect(errorCode(tooLong)).toBe("invalid_request");
  });

  it("gives this session a new token, keeps it signed in and retires the old token", async () => {
    const { client, email, user } = await signUpUser(t);
    const oldToken = client.cookie;
    const reply = await client.post("/me/password", change());
    expect(reply.status).toBe(204);
    expect(client.cookie).toBeDefined();
    expect(client.cookie).not.toBe(oldToken);
    expect((await client.get("/me")).status).toBe(200);

    const stale = t.client();
    stale.cookie = oldToken;
    const staleReply = await stale.get("/me");
    expect(staleReply.status).toBe(401);
    expect(errorCode(staleReply)).toBe("unauthenticated");

    const oldPassword = await signIn(email, STRONG_PASSWORD);
    expect(oldPassword.status).toBe(401);
    expect(errorCode(oldPassword)).toBe("invalid_credentials");
    expect((await signIn(email, NEW_PASSWORD)).status).toBe(200);
    expect(await auditActions(user.id)).toContain("user.password_changed");
    const audit = JSON.stringify(
      await t.app.deps.db.selectFrom("audit_events").selectAll().execute(),
    );
    for (const secret of [NEW_PASSWORD, STRONG_PASSWORD, oldToken, client.cookie])
      expect(audit).not.toContain(secret);
  });

  it("signs other devices out only when revokeOtherSessions is true", async () => {
    const { client, email } = await signUpUser(t);
    const phone = await otherDevice(email);
    expect((await client.post("/me/password", change())).status).toBe(204);
    expect((await phone.get("/me")).status).toBe(200);

    const again = change({ currentPassword: NEW_PASSWORD, newPassword: "third-pelican-meadow-88" });
    expect(
      (await client.post("/me/password", { ...again, revokeOtherSessions: true })).status,
    ).toBe(204);
    const phoneReply = await phone.get("/me");
    expect(phoneReply.status).toBe(401);
    expect(errorCode(phoneReply)).toBe("unauthenticated");
    expect((await client.get("/me")).status).toBe(200);
  });

  it("sends the account a notice that holds no link or secret", async () => {
    const { client, email } = await signUpUser(t);
    expect((await client.post("/me/password", change())).status).toBe(204);
    await t.flushMail();
    const notice = t.mailbox.to(email).find((m) => m.subject === "Your password was changed");
    expect(notice).toBeDefined();
    expect(notice?.text).not.toMatch(/token=|https?:\/\//);
    expect(notice?.text).not.toContain(NEW_PASSWORD);
    expect(notice?.html).not.toContain(NEW_PASSWORD);
  });
});

describe("DELETE /me", () => {
  it("requires a fresh session", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(61 * 60_000);
    const reply = await client.delete("/me");
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe("session_not_fresh");
    expect((await client.get("/me")).status).toBe(200);
  });

  it("deletes the account, clears the cookie, ends every session and keeps the audit trail", async () => {
    const { client, email, user } = await signUpUser(t);
    const laptop = await otherDevice(email);
    const reply = await client.delete("/me");
    expect(reply.status).toBe(204);
    const cleared = reply.raw.cookies.find((c) => c.name === "atrium_session");
    expect(cleared?.value).toBe("");
    expect(client.cookie).toBeUndefined();

    const laptopReply = await laptop.get("/me");
    expect(laptopReply.status).toBe(401);
    expect(errorCode(laptopReply)).toBe("unauthenticated");
    const signInReply = await signIn(email, STRONG_PASSWORD);
    expect(signInReply.status).toBe(401);
    expect(errorCode(signInReply)).toBe("invalid_credentials");

    expect(await auditActions(user.id)).toContain("user.deleted");
    const again = await t
      .client()
      .post("/auth/sign-up", { email, name: "Second Life", password: STRONG_PASSWORD });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
  });
});

describe("new password rules on sign-up", () => {
  let n = 0;
  const signUp = (password: string, overrides: { email?: string; name?: string } = {}) =>
    t.client().post("/auth/sign-up", {
      email: overrides.email ?? `rules${++n}-${Date.now()}@example.com`,
      name: overrides.name ?? "Quentin Blake",
      password,
    });

  it("counts length in code points: 7 emoji are too short, 8 are enough", async () => {
    const seven = await signUp("🦊🐙🦉🐢🦋🐝🦀");
    expect(seven.status).toBe(422);
    expect(errorCode(seven)).toBe("weak_password");
    expect(seven.body.error.message).toMatch(/at least 8 characters/);
    expect((await signUp("🦊🐙🦉🐢🦋🐝🦀🐳")).status).toBe(201);
  });

  it.each([
    ["a common password", "password1", {}, /common/],
    [
      "the email's local part",
      "xylophone.marvel-2024",
      { email: "xylophone.marvel@example.com" },
      /email/,
    ],
    ["the name", "Isambard Brunel", { name: "Isambard Brunel" }, /name/],
  ])("refuses %s with weak_password saying why", async (_label, password, who, why) => {
    const reply = await signUp(password, who);
    expect(reply.status).toBe(422);
    expect(errorCode(reply)).toBe("weak_password");
    expect(reply.body.error.message).toMatch(why);
  });

  it("accepts 64 and 1024 characters, spaces and emoji, and refuses 1025 with 400", async () => {
    expect((await signUp("k".repeat(32) + "m".repeat(32))).status).toBe(201);
    expect((await signUp(`${"q".repeat(1020)}🔑zyx`)).status).toBe(201);
    expect((await signUp("correct horse 🐎 battery staple")).status).toBe(201);
    const tooLong = await signUp(`${"q".repeat(1021)}🔑zyx`);
    expect(tooLong.status).toBe(400);
    expect(errorCode(tooLong)).toBe("invalid_request");
  });

  it("keeps the password exactly as typed, without trimming", async () => {
    const email = `spaced-${Date.now()}@example.com`;
    expect((await signUp("  spaced password 99  ", { email })).status).toBe(201);
    const trimmed = await signIn(email, "spaced password 99");
    expect(trimmed.status).toBe(401);
    expect(errorCode(trimmed)).toBe("invalid_credentials");
    expect((await signIn(email, "  spaced password 99  ")).status).toBe(200);
  });
});

describe("sign-up input checks", () => {
  const signUp = (email: string, name = "Valid Name") =>
    t.client().post("/auth/sign-up", { email, name, password: STRONG_PASSWORD });

  it.each([
    ["a zero-width space", "Zoe\u200BZed"],
    ["a bidi override", "Ann\u202Efdp.exe"],
    ["a NUL", "Nul\u0000Name"],
    ["a line break", "Line\r\nBreak"],
  ])("refuses a name with %s", async (_label, name) => {
    const reply = await signUp(`name-${Date.now()}@example.com`, name);
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe("invalid_request");
    expect(reply.body.error.details).toContainEqual(expect.objectContaining({ field: "name" }));
  });

  it.each([
    ["a zero-width space", "zero\u200Bwidth@example.com"],
    ["a bidi override", "bidi\u202Emoc.elpmaxe@example.com"],
    ["a NUL", "nul\u0000@example.com"],
    ["a line break", "crlf@example.com\r\nBcc: victim@example.com"],
    ["a fullwidth at-sign", "fullwidth\uFF20example.com"],
    ["a local part over 64 characters", `${"l".repeat(65)}@example.com`],
    [
      "more than 254 characters",
      `${"l".repeat(64)}@${"d".repeat(60)}.${"e".repeat(60)}.${"f".repeat(60)}.abcd.com`,
    ],
  ])("refuses an email with %s", async (_label, email) => {
    const reply = await signUp(email);
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe("invalid_request");
    expect(reply.body.error.details).toContainEqual(expect.objectContaining({ field: "email" }));
  });

  it("accepts a 64-character local part and keeps a +tag as written", async () => {
    expect((await signUp(`${"l".repeat(64)}@example.com`)).status).toBe(201);
    const tagged = await signUp("Tess+Newsletter@Example.com");
    expect(tagged.status).toBe(201);
    expect(tagged.body.user.email).toBe("Tess+Newsletter@Example.com");
    expect((await signUp("tess@example.com")).status).toBe(201);
  });
});

describe("invite-only sign-up", () => {
  it("refuses a sign-up without an invitation token", async () => {
    const reply = await inviteOnly.client().post("/auth/sign-up", {
      email: "walk-in@example.com",
      name: "Walk In",
      password: STRONG_PASSWORD,
    });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe("signup_disabled");
    const rows = await inviteOnly.app.deps.db.selectFrom("users").select("id").execute();
    expect(rows).toHaveLength(0);
  });
});
