import { describe, expect, it } from "vitest";
import { inviteByLink, newAddress, ownerWithOrganization } from "../../test/support/invitations.js";
import {
  type Client,
  expectError,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { newToken } from "../lib/tokens.js";

const t = await startTestApp();

/** More than the per-address budget (60 counted guesses in 15 minutes). */
const MANY = 70;

const MALFORMED = [
  "short",
  newToken().slice(0, 42), // one character short
  `${newToken()}A`, // one too many
  `${newToken().slice(0, 42)}!`, // outside the base64url alphabet
  `${newToken().slice(0, 42)}=`,
  "%00".repeat(14),
];

/** Every path that looks a reset, verification or invitation token up, as `client` sends it. */
const PATHS: Record<string, (client: Client, token: string) => Promise<Reply>> = {
  "invitation preview": (client, token) => client.get(`/invitations/${encodeURIComponent(token)}`),
  "invitation accept": (client, token) =>
    client.post(`/invitations/${encodeURIComponent(token)}/accept`),
  "invitation decline": (client, token) =>
    client.post(`/invitations/${encodeURIComponent(token)}/decline`),
  "sign-up with an invitation": (client, token) =>
    client.post("/auth/sign-up", {
      email: newAddress(),
      name: "Guesser",
      password: STRONG_PASSWORD,
      invitationToken: token,
    }),
  "email verification and email change": (client, token) =>
    client.post("/auth/verify-email", { token }),
  "password reset": (client, token) =>
    client.post("/auth/password-reset/confirm", { token, password: "amber-lantern-meadow-87" }),
};

/** A signed-in account that has not used its verification link yet, and that link's token. */
async function visitor() {
  const user = await signUpUser(t);
  await t.flushMail();
  return { ...user, token: t.mailbox.tokenFor(user.email, "verify-email") };
}

describe("token guessing", () => {
  it("does not count malformed tokens: after a cross-site page's flood, the visitor's own link still works", async () => {
    const { client, token } = await visitor();
    // What <img src="https://atrium/api/v1/invitations/…"> tags make the visitor's browser send.
    const preview = PATHS["invitation preview"]!;
    for (let i = 0; i < MANY; i++) {
      const reply = await preview(client, MALFORMED[i % MALFORMED.length]!);
      expectError(reply, 404, "not_found", `request ${i}`);
    }
    // Malformed tokens on every other path are refused alike, uncounted too.
    for (const [path, send] of Object.entries(PATHS)) {
      for (const malformed of MALFORMED) {
        expectError(await send(client, malformed), 404, "not_found", `${path}: ${malformed}`);
      }
    }
    expect((await client.post("/auth/verify-email", { token })).status).toBe(204);
    expect((await client.get("/me")).body.emailVerified).toBe(true);
  });

  it.each(Object.keys(PATHS))("still limits misses on well-formed tokens: %s", async (path) => {
    const client = (await signUpUser(t)).client;
    const send = PATHS[path]!;
    let limited: Reply | undefined;
    for (let i = 0; i <= MANY && !limited; i++) {
      const reply = await send(client, newToken());
      if (reply.status === 429) limited = reply;
      else expectError(reply, 404, "not_found", `guess ${i}`);
    }
    expectError(limited!, 429, "rate_limited");
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("does not count a token that is found: a link can be opened again and again", async () => {
    const owner = await ownerWithOrganization(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, newAddress());
    const reader = t.client();
    for (let i = 0; i < MANY; i++) {
      const reply = await reader.get(`/invitations/${invitation.token}`);
      expect(reply.status, `preview ${i}`).toBe(200);
    }
    // Its misses are still counted from zero.
    for (let i = 0; i < 30; i++) {
      expectError(await reader.get(`/invitations/${newToken()}`), 404, "not_found", `guess ${i}`);
    }
  });
});
