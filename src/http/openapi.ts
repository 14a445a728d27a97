import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { ErrorResponse } from "./schemas.js";

/**
 * The OpenAPI 3.1 document is generated from the route schemas (GET /api/v1/openapi.json)
 * and rendered at /api/docs. Every route also documents the contract's error shape, and
 * routes on the public list say that they need no credentials.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/docs")) {
      route.config = { ...(route.config as object), public: true };
      return;
    }
    route.schema ??= {};
    const schema = route.schema;
    const response = (schema.response ?? {}) as Record<string, unknown>;
    schema.response = { ...response, "4xx": ErrorResponse, "5xx": ErrorResponse };
    if ((route.config as { public?: boolean } | undefined)?.public) {
      (schema as { security?: unknown[] }).security = [];
    }
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
          'Accounts, organizations and access. Errors are {"error": {"code", "message", "details"?}}; ' +
          "lists are cursor-paginated with ?limit= (default 50, max 200) and ?cursor=.",
      },
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "atrium_session" },
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
    { config: { public: true }, schema: { tags: ["meta"], description: "This document." } },
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
