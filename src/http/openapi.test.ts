import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { startTestApp } from "../../test/support/test-app.js";
import { ERROR_STATUS, type ErrorCode } from "../lib/errors.js";
import { isConsoleRoute } from "./console.js";

const t = await startTestApp();

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  responses?: Record<
    string,
    {
      $ref?: string;
      description?: string;
      headers?: Record<string, unknown>;
      content?: Record<string, { schema?: Schema }>;
    }
  >;
};
type Schema = {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
};
type Document = {
  openapi: string;
  info: { license?: { name: string; identifier?: string } };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
  security?: unknown[];
};

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Every endpoint the contract (API.md) lists, as "METHOD /path" with OpenAPI {params}. */
const CONTRACT = [
  ...[
    "POST /auth/sign-up",
    "POST /auth/sign-in",
    "POST /auth/sign-out",
    "POST /auth/reauthenticate",
    "POST /auth/password-reset",
    "POST /auth/password-reset/confirm",
    "POST /auth/verify-email",
    "GET /auth/providers",
    "GET /auth/oauth/{provider}/start",
    "GET /auth/oauth/{provider}/callback",
    "GET /me",
    "PATCH /me",
    "DELETE /me",
    "POST /me/email",
    "POST /me/email-verification",
    "POST /me/password",
    "GET /me/sessions",
    "DELETE /me/sessions/{id}",
    "DELETE /me/sessions",
    "GET /me/organizations",
    "GET /me/invitations",
    "POST /me/invitations/{id}/accept",
    "POST /me/invitations/{id}/decline",
    "GET /me/api-keys",
    "POST /me/api-keys",
    "DELETE /me/api-keys/{id}",
    "GET /me/audit-events",
    "POST /organizations",
    "GET /organizations/{org}",
    "PATCH /organizations/{org}",
    "DELETE /organizations/{org}",
    "GET /organizations/{org}/members",
    "PATCH /organizations/{org}/members/{memberId}",
    "DELETE /organizations/{org}/members/{memberId}",
    "POST /organizations/{org}/invitations",
    "GET /organizations/{org}/invitations",
    "DELETE /organizations/{org}/invitations/{id}",
    "POST /organizations/{org}/invitations/{id}/resend",
    "GET /organizations/{org}/audit-events",
    "GET /invitations/{token}",
    "POST /invitations/{token}/accept",
    "POST /invitations/{token}/decline",
  ].map((entry) => entry.replace(" /", " /api/v1/")),
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /api/v1/openapi.json",
];

/** The routes that need no credentials (SECURITY.md ACL-01, and the operations endpoints). */
const PUBLIC = [
  "POST /api/v1/auth/sign-up",
  "POST /api/v1/auth/sign-in",
  "POST /api/v1/auth/password-reset",
  "POST /api/v1/auth/password-reset/confirm",
  "POST /api/v1/auth/verify-email",
  "GET /api/v1/auth/providers",
  "GET /api/v1/auth/oauth/{provider}/start",
  "GET /api/v1/auth/oauth/{provider}/callback",
  "GET /api/v1/invitations/{token}",
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /api/v1/openapi.json",
];

const reply = await t.app.inject({ method: "GET", url: "/api/v1/openapi.json" });
const doc = JSON.parse(reply.body) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((method) => METHODS.includes(method))
    .map((method) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op: item[method]! })),
);

/**
 * The routes the app registered, read from Fastify's route tree (printRoutes): each line's
 * depth comes from its indentation, and a child's text continues its parent's path.
 */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split("\n")) {
    // A node without methods (only a shared prefix) still continues its children's paths.
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? "") + match[2];
    stack[depth] = path;
    for (const method of match[3]?.split(", ") ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

/** The codes an error response allows: its `allOf` restriction of the Error component. */
function codesOf(schema: Schema & { allOf?: Schema[] }): string[] {
  const restriction = schema.allOf?.[1] as
    | { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } }
    | undefined;
  return restriction?.properties?.error?.properties?.code?.enum ?? [];
}

function resolve<T>(value: T & { $ref?: string }): T {
  if (!value.$ref) return value;
  const name = value.$ref.split("/").pop()!;
  const target = doc.components?.schemas?.[name] ?? doc.components?.schemas?.[value.$ref];
  if (!target) throw new Error(`unresolvable $ref ${value.$ref}`);
  return resolve(target as T & { $ref?: string });
}

/** A request for a documented operation, with a placeholder for each path parameter. */
function requestFor(method: string, path: string) {
  const url = path.replace(/\{[^}]+\}/g, "placeholder-value");
  const body = ["post", "patch", "put"].includes(method) ? {} : undefined;
  return t.app.inject({
    method: method.toUpperCase() as "GET",
    url,
    remoteAddress: "127.0.0.1",
    ...(body ? { payload: body } : {}),
  });
}

describe("GET /api/v1/openapi.json", () => {
  it("serves an OpenAPI 3.1 document that passes the OpenAPI schema validator", async () => {
    expect(reply.statusCode).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("documents every endpoint of the contract", () => {
    const documented = new Set(operations.map((o) => o.key));
    const missing = CONTRACT.filter((endpoint) => !documented.has(endpoint));
    expect(missing).toEqual([]);
  });

  it("documents every route the app registers, and nothing it does not", () => {
    const registered = registeredRoutes()
      .filter((route) => !route.startsWith("HEAD ") && !route.includes(" /api/docs"))
      .filter((route) => !isConsoleRoute(route.split(" ")[1]!))
      .map((route) => route.replace(/:([A-Za-z]+)/g, "{$1}"));
    // The tree is read correctly: it holds the routes the contract names.
    expect(registered).toEqual(expect.arrayContaining(CONTRACT));
    expect([...registered].sort()).toEqual(operations.map((o) => o.key).sort());
  });

  it("has every documented operation answered by the app, never with the no-route 404", async () => {
    for (const { key, method, path } of operations) {
      const url = path.replace(/\{([^}]+)\}/g, ":$1");
      expect(t.app.hasRoute({ method: method.toUpperCase() as "GET", url }), key).toBe(true);
      const answer = await requestFor(method, path);
      const error = answer.statusCode >= 400 ? JSON.parse(answer.body).error : undefined;
      expect(error?.message ?? "", key).not.toMatch(/^No route /);
    }
  });

  it("marks exactly the public routes with security: [], and they answer without credentials", async () => {
    expect(doc.components?.securitySchemes).toMatchObject({
      session: { type: "apiKey", in: "cookie", name: "atrium_session" },
      apiKey: { type: "http", scheme: "bearer" },
    });
    expect(doc.security).toEqual([{ session: [] }, { apiKey: [] }]);
    const open = operations.filter((o) => Array.isArray(o.op.security) && !o.op.security.length);
    expect(open.map((o) => o.key).sort()).toEqual([...PUBLIC].sort());
    for (const { key, method, path, op } of operations) {
      const answer = await requestFor(method, path);
      const code = answer.statusCode >= 400 ? JSON.parse(answer.body).error.code : undefined;
      if (op.security === undefined) {
        // Everything else inherits the document's session-or-key requirement, and enforces it.
        expect([answer.statusCode, code], key).toEqual([401, "unauthenticated"]);
      } else {
        expect(op.security, key).toEqual([]);
        expect(code, key).not.toBe("unauthenticated");
      }
    }
  });

  it("answers each error status with the Error component, its code restricted to the route's codes", () => {
    for (const { key, op } of operations) {
      const statuses = Object.keys(op.responses ?? {}).filter((status) => /^[45]/.test(status));
      // One response per status, no catch-all range.
      expect(
        statuses.filter((status) => !/^\d{3}$/.test(status)),
        key,
      ).toEqual([]);
      // What every route may answer: a fault, an outage, and the HTTP parser's refusals.
      expect(statuses, key).toEqual(expect.arrayContaining(["408", "414", "431", "500", "503"]));
      for (const status of statuses) {
        const response = op.responses![status]!;
        const schema = response.content?.["application/json"]?.schema as Schema & {
          allOf?: Schema[];
        };
        expect(schema.allOf?.[0], `${key} ${status}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
        const codes = codesOf(schema);
        expect(codes.length, `${key} ${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(ERROR_STATUS[code as ErrorCode], `${key} ${code}`).toBe(Number(status));
          expect(response.description, `${key} ${status}`).toContain(`\`${code}\``);
        }
      }
    }
    const error = resolve<Schema>({ $ref: "#/components/schemas/Error" });
    expect(error.required).toContain("error");
    const body = resolve(error.properties?.error ?? {});
    expect(body.required).toEqual(expect.arrayContaining(["code", "message"]));
  });

  it("gives every operation a unique camelCase operationId, a summary and a description", () => {
    const ids = operations.map((o) => o.op.operationId);
    for (const { key, op } of operations) {
      expect(op.operationId, key).toMatch(/^[a-z][a-zA-Z0-9]+$/);
      expect(op.summary?.length, key).toBeGreaterThan(5);
      expect(op.description?.length, key).toBeGreaterThan(20);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Stable names that generated clients call.
    const byKey = Object.fromEntries(operations.map((o) => [o.key, o.op.operationId]));
    expect(byKey).toMatchObject({
      "POST /api/v1/auth/sign-in": "signIn",
      "GET /api/v1/organizations/{org}/members": "listMembers",
      "POST /api/v1/organizations/{org}/invitations": "createInvitations",
    });
  });

  it("declares a success answer of every operation, each response with its own description", () => {
    for (const { key, op } of operations) {
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((status) => /^[23]\d\d$/.test(status)),
        key,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        expect(response.description, `${key} ${status}`).toBeTruthy();
        expect(response.description, `${key} ${status}`).not.toBe("Default Response");
      }
    }
  });

  it("declares bodiless answers, redirects and the exports' media types", () => {
    const op = (key: string) => operations.find((o) => o.key === key)!.op;
    expect(op("POST /api/v1/auth/password-reset").responses?.["202"]?.content).toBeUndefined();
    expect(op("DELETE /api/v1/me/sessions/{id}").responses?.["204"]?.content).toBeUndefined();
    expect(
      op("GET /api/v1/auth/oauth/{provider}/start").responses?.["302"]?.headers,
    ).toHaveProperty("location");
    for (const key of [
      "GET /api/v1/me/audit-events/export",
      "GET /api/v1/organizations/{org}/audit-events/export",
    ]) {
      expect(Object.keys(op(key).responses?.["200"]?.content ?? {}).sort(), key).toEqual([
        "application/x-ndjson",
        "text/csv",
      ]);
    }
    expect(Object.keys(op("GET /metrics").responses?.["200"]?.content ?? {})).toEqual([
      "text/plain",
    ]);
  });

  it("lists a route's own codes and those of its kind, and none it cannot answer", () => {
    const op = (key: string) => operations.find((o) => o.key === key)!.op;
    const codes = (key: string) =>
      Object.entries(op(key).responses ?? {})
        .filter(([status]) => /^[45]\d\d$/.test(status))
        .flatMap(([, response]) => codesOf(response.content?.["application/json"]?.schema ?? {}));
    // Its own (role, freshness, verified inviter, no such organization), and those of a
    // state-changing route with a path parameter that reads credentials.
    expect(codes("POST /api/v1/organizations/{org}/invitations").sort()).toEqual(
      [
        "email_not_verified",
        "forbidden",
        "forbidden_origin",
        "headers_too_large",
        "internal",
        "invalid_request",
        "not_found",
        "payload_too_large",
        "rate_limited",
        "request_timeout",
        "session_not_fresh",
        "unauthenticated",
        "unavailable",
        "unsupported_media_type",
        "uri_too_long",
      ].sort(),
    );
    // Public, without input: only a bad API key, and what every route may answer.
    expect(codes("GET /api/v1/auth/providers")).toEqual([
      "unauthenticated",
      "request_timeout",
      "uri_too_long",
      "rate_limited",
      "headers_too_large",
      "internal",
      "unavailable",
    ]);
    // /metrics reads no Atrium credential: its 401 and 403 are its own token's.
    expect(codes("GET /metrics").sort()).toEqual(
      [
        "forbidden",
        "headers_too_large",
        "internal",
        "request_timeout",
        "unauthenticated",
        "unavailable",
        "uri_too_long",
      ].sort(),
    );
    expect(codes("GET /readyz")).toContain("unavailable");
    for (const status of ["429", "503"]) {
      expect(op("POST /api/v1/auth/sign-in").responses?.[status]?.headers, status).toHaveProperty(
        "retry-after",
      );
    }
    // A redirect-only operation says that anything else is one of its errors.
    expect(
      codesOf(
        op("GET /api/v1/auth/oauth/{provider}/start").responses?.default?.content?.[
          "application/json"
        ]?.schema ?? {},
      ),
    ).toContain("not_found");
  });

  it("refers to the named schemas as components rather than copying them", () => {
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        "Error",
        "User",
        "Organization",
        "Member",
        "Session",
        "ApiKey",
        "AuditEvent",
      ]),
    );
    const me = operations.find((o) => o.key === "GET /api/v1/me")!.op;
    expect(JSON.stringify(me.responses?.["200"]?.content)).toContain("#/components/schemas/User");
    const members = operations.find((o) => o.key === "GET /api/v1/organizations/{org}/members")!;
    expect(JSON.stringify(members.op.responses?.["200"]?.content)).toContain(
      "#/components/schemas/Member",
    );
  });

  it("names its server, licence and tags", () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: t.app.deps.config.publicUrl })]);
    expect(doc.info.license).toEqual({ name: "MIT", identifier: "MIT" });
    const described = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { key, op } of operations) {
      expect(op.tags?.length, key).toBe(1);
      expect(described.get(op.tags![0]!), key).toBeTruthy();
    }
  });

  it("writes path parameters the OpenAPI way and declares each of them", () => {
    for (const { key, path, op } of operations) {
      expect(path, key).not.toContain(":");
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (
        (op as { parameters?: Array<{ in: string; name: string }> }).parameters ?? []
      )
        .filter((p) => p.in === "path")
        .map((p) => p.name);
      expect(declared.sort(), key).toEqual(names.sort());
    }
  });
});

describe("GET /api/docs", () => {
  it("serves an HTML page that loads the documentation viewer without credentials", async () => {
    const page = await t.app.inject({ method: "GET", url: "/api/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="swagger-ui">');
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toContain("/api/docs/static/swagger-initializer.js");
    for (const script of scripts) {
      const asset = await t.app.inject({ method: "GET", url: script });
      expect(asset.statusCode, script).toBe(200);
      expect(asset.headers["content-type"], script).toMatch(/javascript/);
    }
  });

  it("renders the same document that /api/v1/openapi.json serves", async () => {
    const initializer = await t.app.inject({
      method: "GET",
      url: "/api/docs/static/swagger-initializer.js",
    });
    // The viewer loads "./json" relative to /api/docs/ (with its slash added).
    expect(initializer.body).toContain("resolveUrl('./json')");
    const rendered = await t.app.inject({ method: "GET", url: "/api/docs/json" });
    expect(rendered.statusCode).toBe(200);
    expect(JSON.parse(rendered.body)).toEqual(doc);
  });
});
