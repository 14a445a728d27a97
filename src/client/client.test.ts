import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMember, ownerWithOrganization } from "../../test/support/invitations.js";
import { type Client, signUpUser, startTestApp } from "../../test/support/test-app.js";
import { type AtriumClient, createAtriumClient } from "./index.js";

const run = promisify(execFile);
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

const t = await startTestApp();
let baseUrl = "";

beforeAll(async () => {
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.app.server.close();
});

/** A real API key, made the way a person makes one: from a fresh signed-in session. */
async function apiKeyOf(browser: Client): Promise<string> {
  const created = await browser.post("/me/api-keys", { name: "typed client" });
  expect(created.status).toBe(201);
  return created.body.secret;
}

async function clientWithKey(): Promise<{ client: AtriumClient; email: string }> {
  const { client: browser, email } = await signUpUser(t);
  return { client: createAtriumClient({ baseUrl, apiKey: await apiKeyOf(browser) }), email };
}

describe("the typed client (openapi-fetch)", () => {
  it("has types generated from the document the server publishes (npm run generate:client after changing a route)", async () => {
    const document = (await t.app.inject("/api/v1/openapi.json")).body;
    const folder = mkdtempSync(join(tmpdir(), "atrium-client-"));
    try {
      writeFileSync(join(folder, "openapi.json"), document);
      const generated = await run(
        process.execPath,
        [root("scripts/generate-client.mjs"), "--stdout", join(folder, "openapi.json")],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const committed = readFileSync(root("src/client/api-types.ts"), "utf8");
      expect(generated.stdout.length).toBeGreaterThan(1000);
      expect(generated.stdout === committed, "src/client/api-types.ts is out of date").toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("calls the API with typed path parameters, queries and bodies", async () => {
    const { client, email } = await clientWithKey();
    const me = await client.GET("/api/v1/me");
    expect(me.data?.email).toBe(email);

    const created = await client.POST("/api/v1/organizations", { body: { name: "Typed Co" } });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ name: "Typed Co", slug: "typed-co", myRole: "owner" });

    const organization = await client.GET("/api/v1/organizations/{org}", {
      params: { path: { org: created.data!.slug } },
    });
    expect(organization.data?.id).toBe(created.data!.id);

    const members = await client.GET("/api/v1/organizations/{org}/members", {
      params: { path: { org: created.data!.id }, query: { limit: "10" } },
    });
    expect(members.data?.items.map((m) => m.user.email)).toEqual([email]);
    expect(members.data?.nextCursor).toBeNull();

    const deleted = await client.DELETE("/api/v1/organizations/{org}", {
      params: { path: { org: created.data!.id } },
    });
    // An API key is never a fresh session.
    expect(deleted.response.status).toBe(403);
    expect(deleted.error?.error.code).toBe("session_not_fresh");
  });

  it("answers the contract's error body and status as { error, response }", async () => {
    const { client } = await clientWithKey();
    const missing = await client.GET("/api/v1/organizations/{org}", {
      params: { path: { org: "no-such-org" } },
    });
    expect(missing.data).toBeUndefined();
    expect([missing.response.status, missing.error?.error.code]).toEqual([404, "not_found"]);

    const anonymous = await createAtriumClient({ baseUrl }).GET("/api/v1/me");
    expect([anonymous.response.status, anonymous.error?.error.code]).toEqual([
      401,
      "unauthenticated",
    ]);
  });

  it("encodes path parameters so that they cannot leave their segment", async () => {
    const { client } = await clientWithKey();
    const escaped = await client.GET("/api/v1/organizations/{org}", {
      params: { path: { org: "../me" } },
    });
    expect([escaped.response.status, escaped.error?.error.code]).toEqual([404, "not_found"]);
  });
});

describe("the README example (examples/list-members.mjs)", () => {
  const example = root("examples/list-members.mjs");

  it("lists an organization's members with an API key, importing atrium/client", async () => {
    const owner = await ownerWithOrganization(t, { name: "Example Members" });
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const member = await addMember(t, owner, owner.org.id, "member");
    const apiKey = await apiKeyOf(owner.client);

    const { stdout } = await run(process.execPath, [example, owner.org.slug], {
      env: { ...process.env, ATRIUM_URL: baseUrl, ATRIUM_API_KEY: apiKey },
    });
    expect(stdout.trim().split("\n").sort()).toEqual(
      [`${owner.email}\towner`, `${admin.email}\tadmin`, `${member.email}\tmember`].sort(),
    );
  });

  it("prints the contract's error and exits 1 for a key that does not work", async () => {
    const failure = await run(process.execPath, [example, "any-org"], {
      env: { ...process.env, ATRIUM_URL: baseUrl, ATRIUM_API_KEY: "atr_not-a-real-key" },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringMatching(/^unauthenticated: /) });
  });
});
