import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, RouteOptions } from "fastify";
import Type from "typebox";
import type { Config } from "../config.js";
import { declaredErrors, declaredResponses } from "./declared-errors.js";
import { DeclaredError, ErrorComponent, Json } from "./responses.js";

/** Answers that tell the client when to come back. */
const RETRY_AFTER = { "retry-after": { type: "integer", description: "Seconds to wait." } };

/**
 * The error answers of an operation, one per status: the shared `Error` schema with `code`
 * restricted to the codes the route declares for that status (see declared-errors.ts).
 */
function errorResponses(route: RouteOptions, isPublic: boolean): Record<string, unknown> {
  const codes = declaredErrors(route);
  const responses: Record<string, unknown> = {};
  for (const [status, declared] of declaredResponses(codes, { isPublic })) {
    responses[status] = {
      ...DeclaredError(declared.codes),
      // The response's description, kept out of its schema (swagger would copy it there too).
      "x-response-description": declared.description,
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    };
  }
  // An operation that only redirects (social sign-in) has no 2xx: anything other than the
  // redirect is one of its errors.
  if (isRedirectOnly(route.schema?.response)) {
    responses.default = {
      ...DeclaredError(codes),
      "x-response-description": "Any answer other than the redirect is one of the errors above.",
    };
  }
  return responses;
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
 * and rendered at /api/docs. Every operation also lists the error codes it may answer, and
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
