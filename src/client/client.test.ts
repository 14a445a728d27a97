import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUpUser, startTestApp } from "../../test/support/test-app.js";
import { AtriumApiError, type AtriumClient, createAtriumClient } from "./atrium-client.js";
import { generateClientTypes } from "./generate-types.js";

const t = await startTestApp();
let baseUrl = "";

beforeAll(async () => {
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.app.server.close();
});

async function clientWithKey(): Promise<{ client: AtriumClient; email: string }> {
  const { client: browser, email } = await signUpUser(t);
  const created = await browser.post("/me/api-keys", { name: "typed client" });
  expect(created.status).toBe(201);
  return { client: createAtriumClient({ baseUrl, apiKey: created.body.secret }), email };
}

describe("the typed client", () => {
  it("is generated from the OpenAPI document the server publishes (run npm run generate:client after changing a route)", async () => {
    const document = (await t.app.inject("/api/v1/openapi.json")).json();
    const committed = readFileSync(new URL("./api-types.ts", import.meta.url), "utf8");
    expect(generateClientTypes(document)).toBe(committed);
  });

  it("calls the API with typed path parameters, queries and bodies", async () => {
    const { client, email } = await clientWithKey();
    const me = await client.request("GET /api/v1/me");
    expect(me.email).toBe(email);

    const created = await client.request("POST /api/v1/organizations", {
      body: { name: "Typed Co" },
    });
    expect(created).toMatchObject({ name: "Typed Co", slug: "typed-co", myRole: "owner" });

    const organization = await client.request("GET /api/v1/organizations/{org}", {
      params: { org: created.slug },
    });
    expect(organization.id).toBe(created.id);

    const members = await client.request("GET /api/v1/organizations/{org}/members", {
      params: { org: created.id },
      query: { limit: "10" },
    });
    expect(members.items.map((m) => m.user.email)).toEqual([email]);
    expect(members.nextCursor).toBeNull();
  });

  it("throws the contract's error code and status as an AtriumApiError", async () => {
    const { client } = await clientWithKey();
    const failure = await client
      .request("GET /api/v1/organizations/{org}", { params: { org: "no-such-org" } })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AtriumApiError);
    expect(failure).toMatchObject({ status: 404, code: "not_found" });

    const anonymous = createAtriumClient({ baseUrl });
    await expect(anonymous.request("GET /api/v1/me")).rejects.toMatchObject({
      status: 401,
      code: "unauthenticated",
    });
  });

  it("encodes path parameters so that they cannot leave their segment", async () => {
    const { client } = await clientWithKey();
    await expect(
      client.request("GET /api/v1/organizations/{org}", { params: { org: "../me" } }),
    ).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});
