import { describe, expect, it } from "vitest";
import {
  errorCode,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

describe("POST /auth/sign-up", () => {
  it("creates an account, signs it in and sends a verification email", async () => {
    const client = t.client();
    const reply = await client.post("/auth/sign-up", {
      email: "  Ada@Example.COM ",
      name: "Ada",
      password: STRONG_PASSWORD,
    });
    expect(reply.status).toBe(201);
    expect(reply.body.user).toMatchObject({
      email: "Ada@Example.COM",
      name: "Ada",
      emailVerified: false,
    });
    expect(reply.body.user.id).toMatch(/^usr_[0-9a-z]{26}$/);
    expect(reply.body.joined).toBeUndefined(); // no invitation, no organization joined
    const cookie = reply.raw.cookies.find((c) => c.name === "atrium_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie?.maxAge).toBe(7 * 24 * 3600);
    expect(JSON.stringify(reply.body)).not.toContain(cookie?.value);

    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.email).toBe("Ada@Example.COM");

    await t.flushMail();
    expect(t.mailbox.tokenFor("Ada@Example.COM", "verify-email")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses an address that is taken in any letter case", async () => {
    const { email } = await signUpUser(t);
    const reply = await t
      .client()
      .post("/auth/sign-up", { email: email.toUpperCase(), name: "X", password: STRONG_PASSWORD });
    expect(reply.status).toBe(409);
    expect(errorCode(reply)).toBe("email_taken");
  });

  it("gives one account and one email_taken when two sign-ups race", async () => {
    const replies = await Promise.all([
      t
        .client()
        .post("/auth/sign-up", { email: "race@example.com", name: "A", password: STRONG_PASSWORD }),
      t
        .client()
        .post("/auth/sign-up", { email: "RACE@example.com", name: "B", password: STRONG_PASSWORD }),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    const rows = await t.app.deps.db
      .selectFrom("users")
      .select("id")
      .where("email_canonical", "=", "race@example.com")
      .execute();
    expect(rows).toHaveLength(1);
  });
});
