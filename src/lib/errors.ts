/**
 * The contract's error codes, each with its HTTP status fixed here so that a throw site
 * chooses only the code, never the status.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  session_not_fresh: 403,
  forbidden: 403,
  forbidden_origin: 403,
  invalid_password: 403,
  invitation_email_mismatch: 403,
  email_not_verified: 403,
  signup_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  conflict: 409,
  last_owner: 409,
  request_timeout: 408,
  invitation_expired: 410,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  domain_not_allowed: 422,
  weak_password: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorOptions {
  details?: unknown;
  /** Seconds, sent as `Retry-After` (429 and 503). */
  retryAfter?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    // An expected refusal, not a fault: skipping the stack trace keeps a flood of 401s cheap.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }
}

export function fail(code: ErrorCode, message: string, options?: ErrorOptions): AppError {
  return new AppError(code, message, options);
}

/** The contract's error body: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBodyJson {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * The one writer of error bodies: the HTTP error handler, the socket-level refusals, the
 * operator commands and the control socket all answer with what this returns.
 */
export function errorBody(error: AppError): ErrorBodyJson {
  const body: ErrorBodyJson = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  return body;
}
