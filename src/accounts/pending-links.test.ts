import { describe, expect, it } from "vitest";
import { inviteByLink, ownerWithOrganization } from "../../test/support/invitations.js";
import {
  type Client,
  expectError,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { runOperatorCommand } from "../operator/operator-commands.js";

// Everything that throws an intruder out of an account (a password reset or change, signing
// out other sessions, an operator disabling the account or signing it out) also ends every
// link the account has pending: email change, email verification, password reset. Otherwise
// whoever asked for an email change keeps a link that takes the account over afterwards.
const t = await startTestApp();

const NEW_PASSWORD = "amber-lantern-meadow-87";
const OTHER_PASSWORD = "copper-window-thistle-31";

let counter = 0;
const address = (label: string, domain = "example.org") =>
  `${label}${++counter}-${Date.now()}@${domain}`;

async function linkTo(email: string, path: "verify-email" | "reset-password") {
  await t.flushMail();
  return t.mailbox.tokenFor(email, path);
}

const verify = (token: string) => t.client().post("/auth/verify-email", { token });
const confirmReset = (token: string, password = OTHER_PASSWORD) =>
  t.client().post("/auth/password-reset/confirm", { token, password });
const signIn = (email: string, password: string, client: Client = t.client()) =>
  client.post("/auth/sign-in", { email, password });

async function requestEmailChange(client: Client, newEmail: string): Promise<string> {
  const reply = await client.post("/me/email", { newEmail });
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  return linkTo(newEmail, "verify-email");
}

async function requestReset(email: string): Promise<string> {
  expect((await t.client().post("/auth/password-reset", { email })).status).toBe(202);
  return linkTo(email, "reset-password");
}

async function resetPassword(email: string, password: string): Promise<void> {
  const reply = await confirmReset(await requestReset(email), password);
  expect(reply.status, JSON.stringify(reply.body)).toBe(204);
}

function cancellations(userId: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .select(["actor_type", "actor_id", "metadata"])
    .where("subject_user_id", "=", userId)
    .where("action", "=", "user.email_change_cancelled")
    .orderBy("id")
    .execute();
}

describe("an email change asked for by whoever signed up with the address first", () => {
  it("is cancelled when the address's owner resets the password, and its link answers 404 not_found", async () => {
    const victim = address("victim", "corp.example");
    const attackerAddress = address("attacker", "evil.example");

    // The attacker signs up with the victim's address before the victim does, and asks to
    // move the account to an address of their own, keeping the link.
    const attacker = await signUpUser(t, { email: victim, name: "Not The Victim" });
    const attackerLink = await requestEmailChange(attacker.client, attackerAddress);

    // The victim cannot sign up, so they reset the password, sign in and join their company.
    const victimClient = t.client();
    expectError(
      await victimClient.post("/auth/sign-up", {
        email: victim,
        password: STRONG_PASSWORD,
        name: "Victim",
      }),
      409,
      "email_taken",
    );
    await resetPassword(victim, NEW_PASSWORD);
    expect((await signIn(victim, NEW_PASSWORD, victimClient)).status).toBe(200);
    const company = await ownerWithOrganization(t, { name: "Corp" });
    const invitation = await inviteByLink(company.client, company.org.id, victim);
    expect((await victimClient.post(`/invitations/${invitation.token}/accept`)).status).toBe(200);

    // The attacker's link is dead: the account stays at the victim's address.
    expectError(await verify(attackerLink), 404, "not_found");
    expect((await victimClient.get("/me")).body).toMatchObject({
      email: victim,
      emailVerified: true,
    });
    expectError(await signIn(attackerAddress, NEW_PASSWORD), 401, "invalid_credentials");
    // And the attacker's address has no account to reset.
    expect((await t.client().post("/auth/password-reset", { email: attackerAddress })).status).toBe(
      202,
    );
    await t.flushMail();
    expect(
      t.mailbox.to(attackerAddress).filter((m) => m.text.includes("/reset-password?token=")),
    ).toHaveLength(0);

    // The victim's own security log says the pending change was cancelled.
    const log = await victimClient.get("/me/audit-events");
    expect(log.status).toBe(200);
    const cancelled = log.body.items.filter(
      (e: { action: string }) => e.action === "user.email_change_cancelled",
    );
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toMatchObject({
      actor: { type: "user", id: attacker.user.id },
      metadata: { newEmail: attackerAddress, reason: "password_reset" },
    });
    expect(JSON.stringify(log.body)).not.toContain(attackerLink);
  });
});

describe("an email change asked for from a stolen session", () => {
  it("is cancelled by a password change that signs out the other sessions", async () => {
    const owner = await signUpUser(t);
    const thiefAddress = address("thief", "evil.example");
    const thief = t.client();
    expect((await signIn(owner.email, STRONG_PASSWORD, thief)).status).toBe(200);
    const thiefLink = await requestEmailChange(thief, thiefAddress);

    const changed = await owner.client.post("/me/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      revokeOtherSessions: true,
    });
    expect(changed.status).toBe(204);
    expectError(await thief.get("/me"), 401, "unauthenticated");

    expectError(await verify(thiefLink), 404, "not_found");
    expect((await owner.client.get("/me")).body.email).toBe(owner.email);
    expect(await cancellations(owner.user.id)).toEqual([
      {
        actor_type: "user",
        actor_id: owner.user.id,
        metadata: { newEmail: thiefAddress, reason: "password_changed" },
      },
    ]);
  });
});

describe("an email change asked for while its session is being signed out", () => {
  it("leaves no link that works, whichever commits first", async () => {
    for (let round = 0; round < 8; round++) {
      const owner = await signUpUser(t);
      const thief = t.client();
      expect((await signIn(owner.email, STRONG_PASSWORD, thief)).status).toBe(200);
      const thiefAddress = address("racer", "evil.example");
      const [asked, signedOut] = await Promise.all([
        thief.post("/me/email", { newEmail: thiefAddress }),
        owner.client.delete("/me/sessions"),
      ]);
      expect(signedOut.status).toBe(204);
      if (asked.status !== 202) {
        expectError(asked, 401, "unauthenticated");
        continue;
      }
      expectError(await verify(await linkTo(thiefAddress, "verify-email")), 404, "not_found");
      expect((await owner.client.get("/me")).body.email).toBe(owner.email);
    }
  });
});

type Account = Awaited<ReturnType<typeof signUpUser>>;

interface Voiding {
  label: string;
  reason: string;
  /** Who the cancellation is recorded as: the account itself, or the operator. */
  actor: "user" | "system";
  /** The account's password once the action is done. */
  password: string;
  act(account: Account): Promise<void>;
}

const changePassword = async (account: Account) => {
  const reply = await account.client.post("/me/password", {
    currentPassword: STRONG_PASSWORD,
    newPassword: NEW_PASSWORD,
    revokeOtherSessions: false,
  });
  expect(reply.status).toBe(204);
};

async function operator(
  command: "users-disable" | "users-enable" | "sessions-revoke",
  email: string,
) {
  const result = await runOperatorCommand(t.app.deps, { command, email });
  expect(result.status).toBe(200);
}

const VOIDING: Voiding[] = [
  {
    label: "a password reset",
    reason: "password_reset",
    actor: "user",
    password: NEW_PASSWORD,
    act: (account) => resetPassword(account.email, NEW_PASSWORD),
  },
  {
    label: "a password change that keeps the other sessions",
    reason: "password_changed",
    actor: "user",
    password: NEW_PASSWORD,
    act: changePassword,
  },
  {
    label: "signing out every other session",
    reason: "sessions_revoked",
    actor: "user",
    password: STRONG_PASSWORD,
    act: async (account) => {
      expect((await account.client.delete("/me/sessions")).status).toBe(204);
    },
  },
  {
    label: "the operator disabling the account (and enabling it again)",
    reason: "account_disabled",
    actor: "system",
    password: STRONG_PASSWORD,
    act: async (account) => {
      await operator("users-disable", account.email);
      await operator("users-enable", account.email);
    },
  },
  {
    label: "the operator signing the account out everywhere",
    reason: "sessions_revoked",
    actor: "system",
    password: STRONG_PASSWORD,
    act: (account) => operator("sessions-revoke", account.email),
  },
];

describe("each action that throws an intruder out", () => {
  it.each(VOIDING.map((voiding) => [voiding.label, voiding] as const))(
    "%s ends the pending email change, verification and reset links",
    async (_label, { reason, actor, password, act }) => {
      const account = await signUpUser(t);
      const verification = await linkTo(account.email, "verify-email");
      const newEmail = address("moving");
      const change = await requestEmailChange(account.client, newEmail);
      const reset = await requestReset(account.email);

      await act(account);

      expectError(await verify(change), 404, "not_found", "email change link");
      expectError(await verify(verification), 404, "not_found", "verification link");
      expectError(await confirmReset(reset), 404, "not_found", "reset link");
      const [cancelled, ...more] = await cancellations(account.user.id);
      expect(more).toEqual([]);
      expect(cancelled).toMatchObject({ actor_type: actor, metadata: { newEmail, reason } });

      // A link asked for afterwards works: only what was pending is voided.
      const session = t.client();
      expect((await signIn(account.email, password, session)).status).toBe(200);
      const later = address("later");
      expect((await verify(await requestEmailChange(session, later))).status).toBe(204);
      expect((await session.get("/me")).body.email).toBe(later);
    },
  );

  it("records nothing as cancelled when no email change was pending", async () => {
    const account = await signUpUser(t);
    expect((await account.client.delete("/me/sessions")).status).toBe(204);
    expect(await cancellations(account.user.id)).toEqual([]);
  });

  it("a completed email change ends the reset link sent to the old address", async () => {
    const account = await signUpUser(t);
    const reset = await requestReset(account.email);
    const newEmail = address("moved");
    expect((await verify(await requestEmailChange(account.client, newEmail))).status).toBe(204);
    expectError(await confirmReset(reset), 404, "not_found");
    expect((await signIn(newEmail, STRONG_PASSWORD)).status).toBe(200);
  });
});

describe("a link issued before the account's last voiding", () => {
  it("is refused even if its row survived the voiding", async () => {
    const account = await signUpUser(t);
    const newEmail = address("survivor");
    const change = await requestEmailChange(account.client, newEmail);
    const row = await t.app.deps.db
      .selectFrom("account_tokens")
      .selectAll()
      .where("user_id", "=", account.user.id)
      .where("purpose", "=", "email_change")
      .executeTakeFirstOrThrow();

    expect((await account.client.delete("/me/sessions")).status).toBe(204);
    // As if the deletion had missed it (a row restored from a backup, a write that raced):
    // the only raw write here, because no request can make the deletion miss.
    await t.app.deps.db.insertInto("account_tokens").values(row).execute();

    expectError(await verify(change), 404, "not_found");
    expect((await account.client.get("/me")).body.email).toBe(account.email);
  });
});
