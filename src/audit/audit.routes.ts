import type { Readable } from "node:stream";
import Type from "typebox";
import type { Deps } from "../deps.js";
import type { Api } from "../http/app-types.js";
import { authOf } from "../http/authenticate.js";
import { Json } from "../http/responses.js";
import { Page, pageLimit } from "../http/schemas.js";
import { exportEvents, listEvents } from "./audit.service.js";
import { AuditEventSchema } from "./audit-event.js";

const filters = {
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  actorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  actorEmail: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 254,
      description: "the actor's email address, whatever its letter case",
    }),
  ),
  from: Type.Optional(
    Type.String({ format: "date-time", description: "events at or after this time" }),
  ),
  to: Type.Optional(Type.String({ format: "date-time", description: "events before this time" })),
};
const ListQuery = Type.Object(
  {
    ...filters,
    limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,4}$" })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(
  { ...filters, format: Type.Optional(Type.Union([Type.Literal("jsonl"), Type.Literal("csv")])) },
  { additionalProperties: false },
);
const OrgParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });

const CONTENT_TYPES = {
  jsonl: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

/** Audit events: an organization's (owners and admins) and the signed-in account's own. */
export function auditRoutes(api: Api, deps: Deps): void {
  api.get(
    "/organizations/:org/audit-events",
    {
      schema: {
        tags: ["audit"],
        operationId: "listOrganizationAuditEvents",
        summary: "List an organization's audit events",
        description:
          "Owners and admins. The organization's events, newest first, filtered by action, " +
          "actor (id or email) and time; changes nothing.",
        params: OrgParams,
        querystring: ListQuery,
        response: { 200: Json("A page of audit events.", Page(AuditEventSchema)) },
        errors: ["forbidden", "not_found"],
      },
    },
    async (request) =>
      listEvents(
        deps,
        authOf(request),
        request.params.org,
        { ...request.query, limit: pageLimit(request.query.limit) },
        request.now,
      ),
  );

  api.get(
    "/me/audit-events",
    {
      schema: {
        tags: ["me"],
        operationId: "listMyAuditEvents",
        summary: "List the account's own audit events",
        description:
          "Any caller with a session or an API key. Security events of the account, newest " +
          "first; events done to it by someone else omit that actor's address and user agent.",
        querystring: ListQuery,
        response: { 200: Json("A page of audit events.", Page(AuditEventSchema)) },
      },
    },
    async (request) =>
      listEvents(
        deps,
        authOf(request),
        undefined,
        { ...request.query, limit: pageLimit(request.query.limit) },
        request.now,
      ),
  );

  for (const [path, params] of [
    ["/organizations/:org/audit-events/export", OrgParams],
    ["/me/audit-events/export", undefined],
  ] as const) {
    api.get(
      path,
      {
        schema: {
          tags: ["audit"],
          operationId: params ? "exportOrganizationAuditEvents" : "exportMyAuditEvents",
          summary: params
            ? "Export an organization's audit events"
            : "Export the account's own audit events",
          ...(params ? { params, errors: ["forbidden", "not_found"] } : {}),
          querystring: ExportQuery,
          description:
            "The filtered events, newest first, streamed as JSON Lines (default) or CSV. " +
            (params ? "Owners and admins" : "Any caller with a session or an API key") +
            "; changes nothing.",
          response: {
            200: {
              description: "The events, one per line (a download).",
              headers: {
                "content-disposition": Type.String({
                  description: 'attachment; filename="audit-events.jsonl" (or .csv)',
                }),
              },
              content: {
                "application/x-ndjson": { schema: Type.Unsafe<Readable>(AuditEventSchema) },
                "text/csv": {
                  schema: Type.Unsafe<Readable>(
                    Type.String({ description: "A header line, then one row per event." }),
                  ),
                },
              },
            },
          },
        },
      },
      async (request, reply) => {
        const format = request.query.format ?? "jsonl";
        const ref = (request.params as { org?: string }).org;
        const stream = await exportEvents(
          deps,
          authOf(request),
          ref,
          { ...request.query, format },
          request.now,
        );
        return reply
          .type(CONTENT_TYPES[format])
          .header("content-disposition", `attachment; filename="audit-events.${format}"`)
          .send(stream);
      },
    );
  }
}
