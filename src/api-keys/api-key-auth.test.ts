import { describe, expect, it } from "vitest";
import {
  addMember,
  inviteByLink,
  ownerWithOrganization,
  verifyEmail,
} from "../../test/support/invitations.js";
import {
  type Client,
  expectError,
  type Reply,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { newApiKeySecret } from "./api-key-secret.js";

const t = await startTestApp();

async function createKey(client: Client, body: Record<string, unknown> = { name: "script" }) {
  const reply = await client.post("/me/api-keys", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { apiKey: { id: string }; secret: string };
}

/** A script holding the key: `Authorization: Bearer`, no cookie, no Origin. */
function withKey(secret: string) {
  return { authorization: `Bearer ${secret}`, origin: undefined };
}

async function memberIdOf(client: Client, org: string, userId: string): Promise<string> {
  const members = await client.get(`/organizations/${org}/members`);
  expect(members.status).toBe(200);
  return members.body.items.find((m: { user: { id: string } }) => m.user.id === userId).id;
}

describe("Authorization: Bearer with an API key", () => {
  it("authenticates as the key's owner, with no cookie and no Origin needed", async () => {
    const { client, user } = await signUpUser(t, { name: "Kim Key" });
    const { secret, apiKey } = await createKey(client);
    const script = t.client();

    const me = await script.get("/me", withKey(secret));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, email: user.email, name: "Kim Key" });
    expect(me.raw.cookies).toEqual([]); // a key never gets a session cookie

    const renamed = await script.patch("/me", { name: "Kim Scripted" }, withKey(secret));
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Kim Scripted");
    expect((await client.get("/me")).body.name).toBe("Kim Scripted");

    // The scheme is case-insensitive (RFC 9110).
    const lower = await script.get("/me", { authorization: `bearer ${secret}` });
    expect(lower.status).toBe(200);

    // The change is recorded as done by the key.
    const events = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("subject_user_id", "=", user.id)
      .where("action", "=", "user.updated")
      .execute();
    expect(events).toEqual([
      expect.objectContaining({ actor_type: "api_key", actor_id: apiKey.id }),
    ]);
  });

  it("records organization changes made with a key with the key as the actor", async () => {
    const owner = await ownerWithOrganization(t);
    const { secret, apiKey } = await createKey(owner.client);
    const patched = await t
      .client()
      .patch(`/organizations/${owner.org.id}`, { name: "Renamed Corp" }, withKey(secret));
    expect(patched.status).toBe(200);
    const events = await owner.client.get(
      `/organizations/${owner.org.id}/audit-events?action=organization.updated`,
    );
    expect(events.status).toBe(200);
    expect(events.body.items).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ type: "api_key", id: apiKey.id }),
      }),
    ]);
  });

  it("uses the key, not the cookie, when a request carries both", async () => {
    const cookieUser = await signUpUser(t);
    const keyUser = await signUpUser(t);
    const { secret } = await createKey(keyUser.client);

    const both = await cookieUser.client.get("/me", { authorization: `Bearer ${secret}` });
    expect(both.status).toBe(200);
    expect(both.body.id).toBe(keyUser.user.id);

    // A bad key is not rescued by a good cookie.
    const badKey = await cookieUser.client.get("/me", {
      authorization: `Bearer ${newApiKeySecret()}`,
    });
    expectError(badKey, 401, "unauthenticated");
    expect((await cookieUser.client.get("/me")).body.id).toBe(cookieUser.user.id);
  });

  it("answers 401 unauthenticated for a malformed, unknown or differently presented key", async () => {
    const { client } = await signUpUser(t);
    const { secret } = await createKey(client);
    const script = t.client();
    const mistyped = `${secret.slice(0, 20)}${secret[20] === "a" ? "b" : "a"}${secret.slice(21)}`;
    for (const authorization of [
      `Bearer ${mistyped}`,
      `Bearer ${newApiKeySecret()}`,
      "Bearer",
      "Bearer ",
      "Bearer not-a-key",
      `Bearer ${secret} ${secret}`,
      `Bearer  ${secret}`,
      `Basic ${Buffer.from(`me:${secret}`).toString("base64")}`,
      `Token ${secret}`,
      secret,
      "",
    ]) {
      expectError(
        await script.get("/me", { authorization }),
        401,
        "unauthenticated",
        authorization,
      );
    }
    // Keys are accepted only in the Authorization header, never as the session cookie.
    expectError(
      await script.get("/me", { cookie: `atrium_session=${secret}` }),
      401,
      "unauthenticated",
    );
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
  });

  it("limits failed keys from one address like failed sign-ins: 429 rate_limited with Retry-After", async () => {
    const attacker = t.client();
    const statuses: number[] = [];
    let limited: Reply | undefined;
    for (let i = 0; i < 80 && !limited; i++) {
      const reply = await attacker.get("/me", withKey(newApiKeySecret()));
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
      else expectError(reply, 401, "unauthenticated");
    }
    expect(limited, `statuses: ${statuses.join(",")}`).toBeDefined();
    expectError(limited!, 429, "rate_limited");
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(10);

    // Still limited on the next try; other addresses are not affected.
    expectError(await attacker.get("/me", withKey(newApiKeySecret())), 429, "rate_limited");
    expectError(await t.client().get("/me", withKey(newApiKeySecret())), 401, "unauthenticated");
  });
});

describe("an API key never counts as a fresh session", () => {
  it("cannot create keys, change the password or email, end other sessions or delete the account or organization", async () => {
    const owner = await ownerWithOrganization(t);
    const member = await addMember(t, owner, owner.org.id, "member");
    const memberId = await memberIdOf(owner.client, owner.org.id, member.user.id);
    // The owner's session is fresh (just signed up): any refusal below comes from the key.
    const { secret } = await createKey(owner.client);
    const script = t.client();
    const attempts: Array<[string, () => Promise<Reply>]> = [
      ["POST /me/api-keys", () => script.post("/me/api-keys", { name: "child" }, withKey(secret))],
      [
        "POST /me/password",
        () =>
          script.post(
            "/me/password",
            {
              currentPassword: owner.password,
              newPassword: "an-entirely-new-passphrase-31",
              revokeOtherSessions: true,
            },
            withKey(secret),
          ),
      ],
      [
        "POST /me/email",
        () =>
          script.post(
            "/me/email",
            { newEmail: `moved-${Date.now()}@example.com` },
            withKey(secret),
          ),
      ],
      ["DELETE /me", () => script.delete("/me", withKey(secret))],
      ["DELETE /me/sessions", () => script.delete("/me/sessions", withKey(secret))],
      [
        "DELETE /organizations/{org}",
        () => script.delete(`/organizations/${owner.org.id}`, withKey(secret)),
      ],
      [
        "PATCH member role to owner",
        () =>
          script.patch(
            `/organizations/${owner.org.id}/members/${memberId}`,
            { role: "owner" },
            withKey(secret),
          ),
      ],
    ];
    for (const [name, attempt] of attempts) {
      expectError(await attempt(), 403, "session_not_fresh", name);
    }

    // Nothing changed: one key, same password and email, the session and organization live on.
    expect((await owner.client.get("/me/api-keys")).body.items).toHaveLength(1);
    expect((await owner.client.get("/me")).body.email).toBe(owner.email);
    expect((await owner.client.get(`/organizations/${owner.org.id}`)).status).toBe(200);
    expect((await owner.client.get(`/organizations/${owner.org.id}/members`)).status).toBe(200);
    expect((await member.client.get(`/organizations/${owner.org.id}`)).body.myRole).toBe("member");
    const signIn = await t.client().post("/auth/sign-in", {
      email: owner.email,
      password: owner.password,
    });
    expect(signIn.status).toBe(200);
  });

  it("cannot sign out or re-authenticate: those are for browser sessions (403 forbidden)", async () => {
    const { client, password } = await signUpUser(t);
    const { secret } = await createKey(client);
    const script = t.client();
    expectError(await script.post("/auth/sign-out", undefined, withKey(secret)), 403, "forbidden");
    expectError(
      await script.post("/auth/reauthenticate", { password }, withKey(secret)),
      403,
      "forbidden",
    );
    // The key, and the session that made it, still work.
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    expect((await client.get("/me")).status).toBe(200);
  });
});

describe("a key bound to one organization", () => {
  it("acts inside its organization, gets 403 forbidden in the owner's other ones and cannot create organizations", async () => {
    const owner = await ownerWithOrganization(t, { name: "Bound Corp" });
    const other = await owner.client.post("/organizations", { name: "Other Corp" });
    expect(other.status).toBe(201);
    const stranger = await ownerWithOrganization(t, { name: "Stranger Corp" });
    const { secret } = await createKey(owner.client, {
      name: "bound",
      organizationId: owner.org.id,
    });
    const script = t.client();

    for (const ref of [owner.org.id, owner.org.slug]) {
      const org = await script.get(`/organizations/${ref}`, withKey(secret));
      expect(org.status).toBe(200);
      expect(org.body).toMatchObject({ id: owner.org.id, myRole: "owner" });
    }
    expect(
      (await script.get(`/organizations/${owner.org.id}/members`, withKey(secret))).status,
    ).toBe(200);
    const patched = await script.patch(
      `/organizations/${owner.org.id}`,
      { name: "Bound Corp Renamed" },
      withKey(secret),
    );
    expect(patched.status).toBe(200);
    expect((await script.get("/me", withKey(secret))).status).toBe(200);

    const elsewhere: Array<[string, () => Promise<Reply>]> = [
      ["GET org", () => script.get(`/organizations/${other.body.id}`, withKey(secret))],
      ["GET org by slug", () => script.get(`/organizations/${other.body.slug}`, withKey(secret))],
      ["GET members", () => script.get(`/organizations/${other.body.id}/members`, withKey(secret))],
      [
        "PATCH org",
        () =>
          script.patch(`/organizations/${other.body.id}`, { name: "Hijacked" }, withKey(secret)),
      ],
      [
        "invite",
        () =>
          script.post(
            `/organizations/${other.body.id}/invitations`,
            { emails: ["new@example.com"], role: "member", delivery: "link" },
            withKey(secret),
          ),
      ],
      ["audit", () => script.get(`/organizations/${other.body.id}/audit-events`, withKey(secret))],
      [
        "POST /organizations",
        () => script.post("/organizations", { name: "Sneaky" }, withKey(secret)),
      ],
    ];
    for (const [name, attempt] of elsewhere) expectError(await attempt(), 403, "forbidden", name);

    // An organization the owner is not in stays a 404, as for anyone.
    expectError(
      await script.get(`/organizations/${stranger.org.id}`, withKey(secret)),
      404,
      "not_found",
    );
    const other2 = await owner.client.get(`/organizations/${other.body.id}`);
    expect(other2.body.name).toBe("Other Corp");
    const mine = await owner.client.get("/me/organizations");
    expect(
      mine.body.items.map((m: { organization: { name: string } }) => m.organization.name),
    ).not.toContain("Sneaky");
  });

  it("lists only its own organization and joins no other one through an invitation", async () => {
    const owner = await ownerWithOrganization(t, { name: "Home Corp" });
    await verifyEmail(t, owner);
    const inviter = await ownerWithOrganization(t, { name: "Elsewhere Corp" });
    const invitation = await inviteByLink(inviter.client, inviter.org.id, owner.email);
    const { secret } = await createKey(owner.client, {
      name: "bound",
      organizationId: owner.org.id,
    });
    const script = t.client();

    const listed = await script.get("/me/organizations", withKey(secret));
    expect(listed.status).toBe(200);
    expect(
      listed.body.items.map((m: { organization: { id: string } }) => m.organization.id),
    ).toEqual([owner.org.id]);

    // Another organization's invitation is not the bound key's to see (the account's is).
    const mine = await script.get("/me/invitations", withKey(secret));
    expect(mine.status).toBe(200);
    expect(mine.body.items).toEqual([]);
    const all = await owner.client.get("/me/invitations");
    expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([invitation.id]);
    for (const attempt of [
      () => script.post(`/invitations/${invitation.token}/accept`, undefined, withKey(secret)),
      () => script.post(`/me/invitations/${invitation.id}/accept`, undefined, withKey(secret)),
      () => script.post(`/me/invitations/${invitation.id}/decline`, undefined, withKey(secret)),
    ]) {
      expectError(await attempt(), 403, "forbidden");
    }
    // The invitation is untouched: the account itself can still accept it.
    const accepted = await owner.client.post(`/invitations/${invitation.token}/accept`);
    expect(accepted.status).toBe(200);
  });

  it("may read the account's profile but not change it, nor see its sessions", async () => {
    const owner = await ownerWithOrganization(t, { name: "Read Only Corp" });
    const other = await createKey(owner.client, { name: "other" });
    const { secret } = await createKey(owner.client, {
      name: "bound",
      organizationId: owner.org.id,
    });
    const script = t.client();
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    expect((await script.get("/me/api-keys", withKey(secret))).status).toBe(200);
    const sessions = await owner.client.get("/me/sessions");
    for (const attempt of [
      () => script.get("/me/sessions", withKey(secret)),
      () => script.patch("/me", { name: "Renamed" }, withKey(secret)),
      () => script.post("/me/email-verification", undefined, withKey(secret)),
      () => script.delete(`/me/sessions/${sessions.body.items[0].id}`, withKey(secret)),
      () => script.delete(`/me/api-keys/${other.apiKey.id}`, withKey(secret)),
    ]) {
      expectError(await attempt(), 403, "forbidden");
    }
    expect((await owner.client.get("/me")).body.name).toBe(owner.name);
    expect((await owner.client.get("/me")).status).toBe(200);
    expect((await t.client().get("/me", withKey(other.secret))).status).toBe(200);
  });

  it("reads through /me only what belongs to its organization, and no sessions at all", async () => {
    const owner = await ownerWithOrganization(t, { name: "Bound Corp" });
    await verifyEmail(t, owner);
    // The account also belongs to another organization and has a pending invitation elsewhere.
    const other = await ownerWithOrganization(t, { name: "Other Corp" });
    const joined = await inviteByLink(other.client, other.org.id, owner.email);
    expect((await owner.client.post(`/invitations/${joined.token}/accept`)).status).toBe(200);
    const third = await ownerWithOrganization(t, { name: "Third Corp" });
    const pending = await inviteByLink(third.client, third.org.id, owner.email);
    const unbound = await createKey(owner.client, { name: "unbound" });
    const elsewhere = await createKey(owner.client, {
      name: "elsewhere",
      organizationId: other.org.id,
    });
    const bound = await createKey(owner.client, { name: "bound", organizationId: owner.org.id });
    const script = t.client();
    const get = (path: string) => script.get(path, withKey(bound.secret));

    const events = await get("/me/audit-events?limit=200");
    expect(events.status).toBe(200);
    expect(events.body.items.length).toBeGreaterThan(0);
    for (const event of events.body.items) expect(event.organizationId).toBe(owner.org.id);
    const everything = await owner.client.get("/me/audit-events?limit=200");
    const organizations = new Set(
      everything.body.items.map((e: { organizationId?: string }) => e.organizationId),
    );
    expect(organizations).toContain(other.org.id);
    expect(organizations).toContain(undefined); // the account's own chain (sign-up, verification)

    const exported = await get("/me/audit-events/export");
    expect(exported.status).toBe(200);
    const lines = exported.raw.body
      .trim()
      .split("\n")
      .map((l: string) => JSON.parse(l));
    expect(lines.map((e: { id: string }) => e.id)).toEqual(
      events.body.items.map((e: { id: string }) => e.id),
    );

    const invitations = await get("/me/invitations");
    expect(invitations.status).toBe(200);
    expect(invitations.body.items).toEqual([]);
    const allInvitations = await owner.client.get("/me/invitations");
    expect(allInvitations.body.items.map((i: { id: string }) => i.id)).toEqual([pending.id]);

    const keys = await get("/me/api-keys");
    expect(keys.status).toBe(200);
    expect(keys.body.items.map((k: { id: string }) => k.id)).toEqual([bound.apiKey.id]);
    const allKeys = await owner.client.get("/me/api-keys");
    expect(allKeys.body.items.map((k: { id: string }) => k.id).sort()).toEqual(
      [unbound.apiKey.id, elsewhere.apiKey.id, bound.apiKey.id].sort(),
    );

    const organizationsOfKey = await get("/me/organizations");
    expect(
      organizationsOfKey.body.items.map((m: { organization: { id: string } }) => m.organization.id),
    ).toEqual([owner.org.id]);

    expectError(await get("/me/sessions"), 403, "forbidden");
    expect((await get("/me")).status).toBe(200);

    // An unbound key still reads the whole account.
    const wide = await script.get("/me/sessions", withKey(unbound.secret));
    expect(wide.status).toBe(200);
    expect(wide.body.items.length).toBeGreaterThan(0);
  });

  it("follows its owner's current role: a demotion or removal takes effect on the key's next request", async () => {
    const owner = await ownerWithOrganization(t);
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const adminMemberId = await memberIdOf(owner.client, owner.org.id, admin.user.id);
    const { secret } = await createKey(admin.client, {
      name: "admin's key",
      organizationId: owner.org.id,
    });
    const script = t.client();
    const rename = (name: string) =>
      script.patch(`/organizations/${owner.org.id}`, { name }, withKey(secret));
    expect((await rename("By Admin Key")).status).toBe(200);

    const demoted = await owner.client.patch(
      `/organizations/${owner.org.id}/members/${adminMemberId}`,
      { role: "member" },
    );
    expect(demoted.status).toBe(200);
    expectError(await rename("Again"), 403, "forbidden");
    const still = await script.get(`/organizations/${owner.org.id}`, withKey(secret));
    expect(still.status).toBe(200);
    expect(still.body.myRole).toBe("member");

    const removed = await owner.client.delete(
      `/organizations/${owner.org.id}/members/${adminMemberId}`,
    );
    expect(removed.status).toBe(204);
    expectError(
      await script.get(`/organizations/${owner.org.id}`, withKey(secret)),
      404,
      "not_found",
    );
  });
});
