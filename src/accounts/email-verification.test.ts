import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  errorCode,
  PUBLIC_URL,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

let counter = 0;
const freshAddress = (label: string) => `${label}${++counter}-${Date.now()}@example.org`;

async function auditEvents(userId: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .select(["action", "metadata"])
    .where("subject_user_id", "=", userId)
    .orderBy("id")
    .execute();
}

async function verificationToken(address: string): Promise<string> {
  await t.flushMail();
  return t.mailbox.tokenFor(address, "verify-email");
}

function verify(token: string) {
  return t.client().post("/auth/verify-email", { token });
}

function signIn(email: string, password = STRONG_PASSWORD) {
  return t.client().post("/auth/sign-in", { email, password });
}

describe("POST /auth/verify-email", () => {
  it("verifies the address with the link sent at sign-up and records user.email_verified", async () => {
    const { client, email, user } = await signUpUser(t);
    const token = await verificationToken(email);
    const reply = await verify(token);
    expect(reply.status).toBe(204);
    expect((await client.get("/me")).body.emailVerified).toBe(true);
    expect((await auditEvents(user.id)).map((e) => e.action)).toContain("user.email_verified");
  });

  it("accepts a link only once", async () => {
    const { email } = await signUpUser(t);
    const token = await verificationToken(email);
    expect((await verify(token)).status).toBe(204);
    const again = await verify(token);
    expect(again.status).toBe(404);
    expect(errorCode(again)).toBe("not_found");
  });

  it.each([
    ["malformed", "not-a-token"],
    ["well-formed but unknown", randomBytes(32).toString("base64url")],
  ])("answers 404 for a %s token", async (_label, token) => {
    const reply = await verify(token);
    expect(reply.status).toBe(404);
    expect(errorCode(reply)).toBe("not_found");
  });

  it("answers 404 for a link older than three days and leaves the address unverified", async () => {
    const { client, email } = await signUpUser(t);
    const token = await verificationToken(email);
    t.clock.advance(3 * 24 * 60 * 60_000 + 60_000);
    const reply = await verify(token);
    expect(reply.status).toBe(404);
    expect(errorCode(reply)).toBe("not_found");
    expect((await client.get("/me")).body.emailVerified).toBe(false);
  });
});

describe("POST /me/email-verification", () => {
  it("sends a new link that works, while the earlier link stops working", async () => {
    const { client, email } = await signUpUser(t);
    const first = await verificationToken(email);
    expect((await client.post("/me/email-verification")).status).toBe(202);
    const second = await verificationToken(email);
    expect(second).not.toBe(first);

    const old = await verify(first);
    expect(old.status).toBe(404);
    expect(errorCode(old)).toBe("not_found");
    expect((await verify(second)).status).toBe(204);
    expect((await client.get("/me")).body.emailVerified).toBe(true);
  });

  it("answers 409 conflict once the address is verified", async () => {
    const { client, email } = await signUpUser(t);
    expect((await verify(await verificationToken(email))).status).toBe(204);
    const reply = await client.post("/me/email-verification");
    expect(reply.status).toBe(409);
    expect(errorCode(reply)).toBe("conflict");
  });
});

describe("POST /me/email", () => {
  it("requires a fresh session", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(61 * 60_000);
    const reply = await client.post("/me/email", { newEmail: freshAddress("stale") });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe("session_not_fresh");
  });

  it("refuses an address another account uses, in any letter case", async () => {
    const other = await signUpUser(t);
    const { client } = await signUpUser(t);
    const reply = await client.post("/me/email", { newEmail: other.email.toUpperCase() });
    expect(reply.status).toBe(409);
    expect(errorCode(reply)).toBe("email_taken");
  });

  it("refuses the current address in any letter case, and an invalid address", async () => {
    const { client, email } = await signUpUser(t);
    const same = await client.post("/me/email", { newEmail: ` ${email.toUpperCase()} ` });
    expect(same.status).toBe(400);
    expect(errorCode(same)).toBe("invalid_request");
    expect(same.body.error.details).toContainEqual(expect.objectContaining({ field: "newEmail" }));
    const invalid = await client.post("/me/email", { newEmail: "no-at-sign.example.org" });
    expect(invalid.status).toBe(400);
    expect(errorCode(invalid)).toBe("invalid_request");
    expect(invalid.body.error.details).toContainEqual(
      expect.objectContaining({ field: "newEmail" }),
    );
  });

  it("moves the account to the new address only once the link sent there is used", async () => {
    const { client, email: oldEmail, user } = await signUpUser(t);
    const signUpLink = await verificationToken(oldEmail);
    const newEmail = freshAddress("Moved+Work");
    const reply = await client.post("/me/email", { newEmail });
    expect(reply.status).toBe(202);

    await t.flushMail();
    const token = t.mailbox.tokenFor(newEmail, "verify-email");
    const confirmation = t.mailbox.to(newEmail).at(-1);
    expect(confirmation?.text).toContain(`${PUBLIC_URL}/verify-email?token=${token}`);
    const notice = t.mailbox.to(oldEmail).at(-1);
    expect(notice?.subject).toBe("Your email address is being changed");
    expect(notice?.text).toContain(newEmail);
    expect(`${notice?.text}${notice?.html}`).not.toMatch(/token=/);
    expect(`${notice?.text}${notice?.html}`).not.toContain(token);

    // Nothing has changed yet.
    expect((await client.get("/me")).body).toMatchObject({ email: oldEmail, emailVerified: false });
    expect((await signIn(oldEmail)).status).toBe(200);
    const tooEarly = await signIn(newEmail);
    expect(tooEarly.status).toBe(401);
    expect(errorCode(tooEarly)).toBe("invalid_credentials");

    expect((await verify(token)).status).toBe(204);
    expect((await client.get("/me")).body).toMatchObject({ email: newEmail, emailVerified: true });
    const oldSignIn = await signIn(oldEmail);
    expect(oldSignIn.status).toBe(401);
    expect(errorCode(oldSignIn)).toBe("invalid_credentials");
    expect((await signIn(newEmail)).status).toBe(200);
    await t.flushMail();
    expect(t.mailbox.to(oldEmail).at(-1)?.subject).toBe("Your email address was changed");

    // The link sent to the old address at sign-up proves nothing any more.
    const stale = await verify(signUpLink);
    expect(stale.status).toBe(404);
    expect(errorCode(stale)).toBe("not_found");

    const events = await auditEvents(user.id);
    expect(JSON.stringify(events)).not.toContain(token);
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["user.email_change_requested", "user.email_changed"]),
    );
    expect(events.find((e) => e.action === "user.email_changed")?.metadata).toMatchObject({
      from: oldEmail,
      to: newEmail,
    });
  });

  it("answers 409 email_taken and changes nothing if another account took the address first", async () => {
    const { client, email } = await signUpUser(t);
    const newEmail = freshAddress("contested");
    expect((await client.post("/me/email", { newEmail })).status).toBe(202);
    const token = await verificationToken(newEmail);

    const rival = await signUpUser(t, { email: newEmail.toUpperCase() });
    const reply = await verify(token);
    expect(reply.status).toBe(409);
    expect(errorCode(reply)).toBe("email_taken");
    expect((await client.get("/me")).body).toMatchObject({ email, emailVerified: false });
    expect((await rival.client.get("/me")).body.email).toBe(newEmail.toUpperCase());
    expect((await signIn(email)).status).toBe(200);
  });
});

describe("GET and DELETE /me/email-change", () => {
  it("shows the pending change, to its own account only, until its link is used", async () => {
    const { client } = await signUpUser(t);
    const other = await signUpUser(t);
    expect((await client.get("/me/email-change")).body).toEqual({ pendingEmail: null });

    const newEmail = freshAddress("pending");
    const requestedAt = t.clock.now();
    expect((await client.post("/me/email", { newEmail })).status).toBe(202);
    const reply = await client.get("/me/email-change");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      pendingEmail: {
        email: newEmail,
        requestedAt: requestedAt.toISOString(),
        expiresAt: new Date(requestedAt.getTime() + 24 * 60 * 60_000).toISOString(),
      },
    });
    expect((await other.client.get("/me/email-change")).body).toEqual({ pendingEmail: null });

    expect((await verify(await verificationToken(newEmail))).status).toBe(204);
    expect((await client.get("/me/email-change")).body).toEqual({ pendingEmail: null });
  });

  it("shows nothing once the link has expired or was voided by signing out other devices", async () => {
    const { client } = await signUpUser(t);
    expect((await client.post("/me/email", { newEmail: freshAddress("late") })).status).toBe(202);
    t.clock.advance(24 * 60 * 60_000 + 1);
    expect((await client.get("/me/email-change")).body).toEqual({ pendingEmail: null });

    const fresh = await signUpUser(t);
    expect((await fresh.client.post("/me/email", { newEmail: freshAddress("void") })).status).toBe(
      202,
    );
    expect((await fresh.client.delete("/me/sessions")).status).toBe(204);
    expect((await fresh.client.get("/me/email-change")).body).toEqual({ pendingEmail: null });
  });

  it("cancels the pending change: its link stops working, and user.email_change_cancelled is recorded once", async () => {
    const { client, email, user } = await signUpUser(t);
    const newEmail = freshAddress("withdrawn");
    expect((await client.post("/me/email", { newEmail })).status).toBe(202);
    const token = await verificationToken(newEmail);

    expect((await client.delete("/me/email-change")).status).toBe(204);
    expect((await client.get("/me/email-change")).body).toEqual({ pendingEmail: null });
    const dead = await verify(token);
    expect(dead.status).toBe(404);
    expect(errorCode(dead)).toBe("not_found");
    expect((await client.get("/me")).body.email).toBe(email);

    // Nothing pending: still 204, and no second event.
    expect((await client.delete("/me/email-change")).status).toBe(204);
    const cancelled = (await auditEvents(user.id)).filter(
      (e) => e.action === "user.email_change_cancelled",
    );
    expect(cancelled.map((e) => e.metadata)).toEqual([{ newEmail, reason: "cancelled" }]);
  });

  it("needs a signed-in account", async () => {
    for (const reply of [
      await t.client().get("/me/email-change"),
      await t.client().delete("/me/email-change"),
    ]) {
      expect(reply.status).toBe(401);
      expect(errorCode(reply)).toBe("unauthenticated");
    }
  });
});

describe("emails", () => {
  it("carry a text and an HTML body, with the account's name escaped in the HTML", async () => {
    const { client, email } = await signUpUser(t, { name: "<b>x</b>" });
    const newEmail = freshAddress("escaped");
    expect((await client.post("/me/email", { newEmail })).status).toBe(202);
    await t.flushMail();
    const messages = [...t.mailbox.to(email), ...t.mailbox.to(newEmail)];
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      expect(message.text).toContain("Hello <b>x</b>,");
      expect(message.html).toMatch(/^<!doctype html>/);
      expect(message.html).toContain("Hello &lt;b&gt;x&lt;/b&gt;,");
      expect(message.html).not.toContain("<b>x</b>");
    }
  });
});
