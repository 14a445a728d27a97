import type { FastifyError, FastifyInstance } from "fastify";
import { isConnectionError, isUnstorableText } from "../db/errors.js";
import { AppError, type ErrorCode, fail } from "../lib/errors.js";

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Names the field an Ajv issue is about: `emails/3`, or the missing or unknown property. */
function fieldOf(issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, "");
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  if (typeof extra === "string") return path ? `${path}/${extra}` : extra;
  return path || "(root)";
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
};

/** Turns anything thrown into the contract's error shape; the only writer of error bodies. */
function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) {
    const issues = (error.validation as ValidationIssue[]).map((issue) => ({
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
    // Framework refusals (malformed JSON, forbidden prototype keys, bad URLs): the message is
    // Fastify's own description of the input, which holds nothing internal.
    return fail("invalid_request", error.message);
  }
  return fail("internal", "Something went wrong on our side.");
}

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
    if (appError.retryAfter !== undefined) reply.header("retry-after", String(appError.retryAfter));
    const body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: appError.code, message: appError.message },
    };
    if (appError.details !== undefined) body.error.details = appError.details;
    return reply.status(appError.status).type("application/json; charset=utf-8").send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    return reply
      .status(404)
      .type("application/json; charset=utf-8")
      .send({
        error: {
          code: "not_found",
          message: `No route ${request.method} ${request.url.split("?")[0]}.`,
        },
      });
  });
}
