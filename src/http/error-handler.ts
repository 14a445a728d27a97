import { randomUUID } from "node:crypto";
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.js";
import { isConnectionError, isUnstorableText } from "../db/errors.js";
import { AppError, type ErrorCode, errorBody, fail } from "../lib/errors.js";
import { securityHeaders } from "./security-headers.js";

const JSON_TYPE = "application/json; charset=utf-8";
/** Input echoed in an error is cut to this: a 60 KB field name must not make a 120 KB answer. */
const EXCERPT_LENGTH = 64;
/** A body with a thousand unknown fields is told about the first few. */
const MAX_DETAILS = 20;

/** A short excerpt of client input (a field name, a path) for an error message. */
export function excerpt(text: string): string {
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text;
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Names the field an Ajv issue is about: `emails/3`, or the missing or unknown property. */
function fieldOf(issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, "");
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  if (typeof extra === "string") return excerpt(path ? `${path}/${extra}` : extra);
  return excerpt(path || "(root)");
}

function describe(issue: ValidationIssue): string {
  if (issue.params?.additionalProperty !== undefined) return "is not a known field";
  if (issue.params?.missingProperty !== undefined) return "is required";
  return issue.message ?? "is invalid";
}

const FRAMEWORK_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ["payload_too_large", "The request body is larger than 64 KiB."],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    "unsupported_media_type",
    "Request bodies must be application/json.",
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: ["invalid_request", "The request body is not valid JSON."],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    "invalid_request",
    "The request body is empty but declared as JSON.",
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    "invalid_request",
    "Content-Length does not match the body.",
  ],
  FST_ERR_BAD_URL: ["invalid_request", "The URL is malformed (bad percent-encoding)."],
  FST_ERR_MAX_PARAM_LENGTH: ["uri_too_long", "A value in the URL's path is too long."],
};

/** Turns anything thrown into one of the contract's errors, which `errorBody` then writes. */
function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) {
    const issues = (error.validation as ValidationIssue[]).slice(0, MAX_DETAILS).map((issue) => ({
      field: fieldOf(issue),
      problem: describe(issue),
    }));
    const where = error.validationContext === "body" ? "" : `${error.validationContext} `;
    const first = issues[0];
    return fail(
      "invalid_request",
      first ? `Invalid ${where}field ${first.field}: ${first.problem}.` : "Invalid request.",
      {
        details: issues,
      },
    );
  }
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  if (known) return fail(known[0], known[1]);
  if (isUnstorableText(error)) {
    return fail(
      "invalid_request",
      "The request contains characters that cannot be stored (such as NUL).",
    );
  }
  if (isConnectionError(error)) {
    return fail("unavailable", "The service is temporarily unavailable.", { retryAfter: 5 });
  }
  const status = error.statusCode ?? 500;
  if (status === 404) return fail("not_found", "Not found.");
  if (status === 405) return fail("method_not_allowed", "Method not allowed.");
  if (status === 413) return fail("payload_too_large", "The request body is larger than 64 KiB.");
  if (status === 415)
    return fail("unsupported_media_type", "Request bodies must be application/json.");
  if (status >= 400 && status < 500) {
    // Framework refusals (forbidden prototype keys and the like): Fastify's own description of
    // the input, which holds nothing internal but may quote it, so only an excerpt.
    return fail("invalid_request", excerpt(error.message));
  }
  return fail("internal", "Something went wrong on our side.");
}

function send(reply: FastifyReply, appError: AppError) {
  if (appError.retryAfter !== undefined) reply.header("retry-after", String(appError.retryAfter));
  return reply.status(appError.status).type(JSON_TYPE).send(errorBody(appError));
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === "internal") {
      request.log.error({ err: error }, "request failed");
    } else if (appError.code === "unavailable") {
      // Load shedding and database outages: expected under stress, and one line each, no stack.
      request.log.warn(
        { code: appError.code, reason: appError.message },
        "request refused: unavailable",
      );
    }
    return send(reply, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    // A path that exists under other methods is a wrong method, not a missing route.
    const allowed = METHODS.filter((method) => request.server.findRoute({ method, url: path }));
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return send(reply, fail("method_not_allowed", `${request.method} is not allowed here.`));
    }
    return send(reply, fail("not_found", `No route ${request.method} ${excerpt(path)}.`));
  });
}

/**
 * Fastify's answer to a URL its router cannot take (bad percent-encoding, an over-long path
 * parameter) is written before any hook runs; this gives it the contract's shape and headers.
 */
export function frameworkErrorHandler(config: Config) {
  const headers = securityHeaders(config);
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers({ ...headers, "x-request-id": request.id });
    void send(reply, toAppError(error));
  };
}

const CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: ["request_timeout", "The request did not arrive in time."],
  HPE_HEADER_OVERFLOW: ["headers_too_large", "The request headers are too large."],
};

const URI_TOO_LONG: [ErrorCode, string] = ["uri_too_long", "The URL is too long."];

/**
 * The header limit counts the request line too: when the data the parser stopped in starts a
 * request line that is over the limit, or that has not even ended, the URL alone is too long
 * (414, not 431).
 */
function isOverlongRequestLine(error: { code?: string; rawPacket?: unknown }): boolean {
  const packet = error.rawPacket;
  if (error.code !== "HPE_HEADER_OVERFLOW" || !Buffer.isBuffer(packet)) return false;
  if (!/^[A-Z]+ \//.test(packet.toString("latin1", 0, 16))) return false;
  const lineEnd = packet.indexOf("\n");
  return lineEnd === -1 || lineEnd > maxHeaderSize;
}

/**
 * Node's HTTP parser refuses some requests (oversized headers, a request that does not arrive
 * in time, garbage) with no request to hang hooks on: answered here on the socket, in the
 * contract's shape and with the security headers.
 */
export function clientErrorHandler(config: Config) {
  const headers = securityHeaders(config);
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    // A reset connection has nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const [code, message] = isOverlongRequestLine(error)
      ? URI_TOO_LONG
      : (CLIENT_ERRORS[error.code ?? ""] ?? ["invalid_request", "The request is not valid HTTP."]);
    const appError = fail(code, message);
    const body = JSON.stringify(errorBody(appError));
    const head = Object.entries({
      ...headers,
      "x-request-id": randomUUID(),
      "content-type": JSON_TYPE,
      "content-length": String(Buffer.byteLength(body)),
      connection: "close",
    }).map(([name, value]) => `${name}: ${value}`);
    // Only when no answer to this connection's current request has begun (as Node does).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.write(
        [`HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}`, ...head, "", body].join(
          "\r\n",
        ),
      );
    }
    socket.destroy();
  };
}
