import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, RouteOptions } from "fastify";
import Type from "typebox";
import type { Config } from "../config.js";
import { ErrorBody, ErrorComponent, Json } from "./responses.js";

const error = (description: string) => Json(description, ErrorBody);
const rateLimited = {
  ...error("Too many attempts (`rate_limited`); try again after `Retry-After` seconds."),
  headers: { "retry-after": { type: "integer", description: "Seconds to wait." } },
};

/**
 * The 4xx answers an operation may give, read from its shape: input that is validated can be
 * refused, an authenticated one can be refused for its credentials or its caller's rights, a
 * path parameter can name nothing. Any other status of the contract is under `4XX`.
 */
function errorResponses(route: RouteOptions, isPublic: boolean): Record<string, unknown> {
  const schema = route.schema ?? {};
  const api = route.url.startsWith("/api/v1/") && !route.url.endsWith("/openapi.json");
  return {
    ...(schema.body || schema.querystring || schema.params
      ? { 400: error("The request is invalid (`invalid_request`, with `details` per field).") }
      : {}),
    ...(isPublic
      ? {}
      : {
          401: error("No valid session cookie or API key (`unauthenticated`)."),
          403: error(
            "The caller may not do this: `forbidden`, `forbidden_origin` (a cookie without the " +
              "console's Origin), `session_not_fresh`, or a code of the operation's own.",
          ),
        }),
    ...(schema.params
      ? { 404: error("Nothing by that identifier is visible to the caller (`not_found`).") }
      : {}),
    ...(schema.body
      ? {
          413: error("The body is over 64 KiB (`payload_too_large`)."),
          415: error("The body is not JSON (`unsupported_media_type`)."),
        }
      : {}),
    ...(api ? { 429: rateLimited } : {}),
    "4xx": error("Another error of the contract, with its `code`."),
    "5xx": error("A server fault (`internal`) or an unavailable dependency (`unavailable`)."),
    // An operation that only redirects (social sign-in) answers anything else with an error.
    // (Decided by its declared redirect: a route that declares no answers at all must not get
    // an error schema for its 200s.)
    ...(isRedirectOnly(schema.response)
      ? { default: error("Any answer other than the redirect is an error of the contract.") }
      : {}),
  };
}

function isRedirectOnly(response: unknown): boolean {
  const statuses = Object.keys((response as object | undefined) ?? {});
  return statuses.some((s) => s.startsWith("3")) && !statuses.some((s) => s.startsWith("2"));
}

const TAGS = [
  { name: "auth", description: "Signing up, in and out; password reset and email verification." },
  { name: "me", description: "The signed-in account: profile, email, password, sessions." },
  { name: "organizations", description: "Organizations and their members." },
  { name: "invitations", description: "Inviting people, and answering an invitation." },
  { name: "api-keys", description: "API keys for programs, created from a signed-in session." },
  { name: "audit", description: "The audit log: security-relevant events, listed or exported." },
  { name: "meta", description: "Health, metrics and this document." },
];

/**
 * The OpenAPI 3.1 document is generated from the route schemas (GET /api/v1/openapi.json)
 * and rendered at /api/docs. Every route also documents the contract's error shape, and
 * routes on the public list say that they need no credentials.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  app.addSchema(ErrorComponent);
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/docs")) {
      route.config = { ...(route.config as object), public: true };
      return;
    }
    route.schema ??= {};
    const schema = route.schema;
    const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
    schema.response = { ...(schema.response as object), ...errorResponses(route, isPublic) };
    if (isPublic) (schema as { security?: unknown[] }).security = [];
  });

  await app.register(swagger, {
    // Shared schemas keep their names (User, Organization, …) as components.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Atrium",
        version: "1.0.0",
        description:
          "Accounts, organizations and access. Programs authenticate with an API key " +
          "(`Authorization: Bearer atr_…`, created with `POST /api/v1/me/api-keys`); browsers " +
          "with the session cookie that sign-in sets. Errors are " +
          '`{"error": {"code", "message", "details"?}}`; lists are cursor-paginated with ' +
          "`?limit=` (default 50, max 200) and `?cursor=`.",
        license: { name: "MIT", identifier: "MIT" },
      },
      servers: [{ url: config.publicUrl, description: "This Atrium (PUBLIC_URL)." }],
      tags: TAGS,
      components: {
        securitySchemes: {
          session: {
            type: "apiKey",
            in: "cookie",
            name: config.sessionCookieName,
            description: "The session cookie set by sign-up and sign-in.",
          },
          apiKey: { type: "http", scheme: "bearer", description: "An API key, atr_…" },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
  });
}

export async function registerOpenApiRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    "/api/v1/openapi.json",
    {
      config: { public: true },
      schema: {
        operationId: "getOpenApiDocument",
        summary: "Get this OpenAPI document",
        description: "The OpenAPI 3.1 document of the whole API. Anyone may read it.",
        tags: ["meta"],
        response: {
          200: Json(
            "The OpenAPI document.",
            Type.Object({ openapi: Type.String() }, { additionalProperties: true }),
          ),
        },
      },
    },
    async () => app.swagger(),
  );
  await app.register(swaggerUi, {
    routePrefix: "/api/docs",
    // swagger-ui's own policy, but never framed (its default allows 'self').
    staticCSP:
      "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'",
    uiConfig: { deepLinking: false },
  });
}
