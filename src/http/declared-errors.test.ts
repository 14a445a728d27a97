import { afterAll, describe, expect, it } from "vitest";
import { PUBLIC_URL } from "../../test/support/test-app.js";
import { createTestDatabase } from "../../test/support/test-database.js";
import { type AtriumApp, buildApp } from "../app.js";
import { loadConfig } from "../config.js";
import { type ErrorCode, fail } from "../lib/errors.js";
import { declaredErrors, takeUndeclaredErrors } from "./declared-errors.js";

const database = await createTestDatabase();

/** The whole app, with routes that answer whatever code they are told to (only here). */
async function appWithTestRoutes(checkDeclaredErrors: boolean): Promise<AtriumApp> {
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, LOG_LEVEL: "silent", DATABASE_URL: database.url }),
    database: await database.open(),
    workers: false,
    checkDeclaredErrors,
  });
  app.get<{ Querystring: { code: ErrorCode } }>(
    "/api/v1/test/answer",
    { config: { public: true }, schema: { errors: ["not_found"] } },
    async (request) => {
      throw fail(request.query.code, "As asked.");
    },
  );
  app.get<{ Querystring: { status: string } }>(
    "/api/v1/test/raw",
    { config: { public: true }, schema: { errors: ["not_found"] } },
    async (request, reply) =>
      reply
        .code(Number(request.query.status))
        .send({ error: { code: "not_found", message: "Written by hand." } }),
  );
  await app.ready();
  return app;
}

const checked = await appWithTestRoutes(true);
const unchecked = await appWithTestRoutes(false);
afterAll(async () => {
  await checked.close();
  await unchecked.close();
  await database.drop();
});

const get = (app: AtriumApp, url: string) =>
  app.inject({ method: "GET", url, remoteAddress: "10.88.0.1" });

describe("the declared-errors check (on for the whole test suite)", () => {
  it("lets through a code the route declares, and one that every route may answer", async () => {
    const declared = await get(checked, "/api/v1/test/answer?code=not_found");
    expect(declared.statusCode).toBe(404);
    expect(declared.json()).toEqual({ error: { code: "not_found", message: "As asked." } });
    const common = await get(checked, "/api/v1/test/answer?code=unavailable");
    expect(common.statusCode).toBe(503);
    expect(common.json().error.code).toBe("unavailable");
    expect(takeUndeclaredErrors()).toEqual([]);
  });

  it("turns an undeclared code into a 500 that names it, and records it for the test to fail", async () => {
    const reply = await get(checked, "/api/v1/test/answer?code=last_owner");
    expect(reply.statusCode).toBe(500);
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(reply.json().error.code).toBe("internal");
    expect(reply.json().error.message).toContain(
      "GET /api/v1/test/answer answered 409 last_owner, which it does not declare",
    );
    // A GET without input has nothing to validate: invalid_request is not among its kind's.
    await get(checked, "/api/v1/test/answer?code=invalid_request");
    expect(takeUndeclaredErrors()).toEqual([
      "GET /api/v1/test/answer answered 409 last_owner, which it does not declare",
      "GET /api/v1/test/answer answered 400 invalid_request, which it does not declare",
    ]);
  });

  it("catches a declared code sent with another status than the contract's", async () => {
    const reply = await get(checked, "/api/v1/test/raw?status=410");
    expect(reply.statusCode).toBe(500);
    expect(takeUndeclaredErrors()).toEqual([
      "GET /api/v1/test/raw answered 410 not_found, which it does not declare",
    ]);
    expect((await get(checked, "/api/v1/test/raw?status=404")).statusCode).toBe(404);
    expect(takeUndeclaredErrors()).toEqual([]);
  });

  it("leaves answers alone when the check is off, as in production", async () => {
    const reply = await get(unchecked, "/api/v1/test/answer?code=last_owner");
    expect(reply.statusCode).toBe(409);
    expect(reply.json().error.code).toBe("last_owner");
    expect(takeUndeclaredErrors()).toEqual([]);
  });

  it("does not judge answers given before any route was found", async () => {
    expect((await get(checked, "/api/v1/no-such-route")).statusCode).toBe(404);
    expect((await get(checked, "/api/v1/invitations/%zz")).statusCode).toBe(400);
    expect(takeUndeclaredErrors()).toEqual([]);
  });
});

describe("declaredErrors, the one rule for what every route of a kind may answer", () => {
  it("adds input, credential and state-change codes by the route's shape", () => {
    const everyRoute = [
      "request_timeout",
      "uri_too_long",
      "headers_too_large",
      "internal",
      "unavailable",
    ];
    expect(declaredErrors({ method: "GET", config: { ownCredentials: true } }).sort()).toEqual(
      [...everyRoute].sort(),
    );
    expect(declaredErrors({ method: "GET", schema: { errors: ["not_found"] } }).sort()).toEqual(
      [...everyRoute, "unauthenticated", "rate_limited", "not_found"].sort(),
    );
    expect(declaredErrors({ method: "DELETE", schema: { params: {} } }).sort()).toEqual(
      [
        ...everyRoute,
        "unauthenticated",
        "rate_limited",
        "invalid_request",
        "payload_too_large",
        "unsupported_media_type",
        "forbidden_origin",
      ].sort(),
    );
  });
});
