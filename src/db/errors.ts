/** Postgres error classes the services turn into the contract's codes. */

interface PgError {
  code?: string;
  constraint?: string;
}

const asPg = (error: unknown): PgError =>
  typeof error === "object" && error !== null ? error : {};

/** A unique constraint failed (optionally: this one). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = asPg(error);
  return (
    pgError.code === "23505" && (constraint === undefined || pgError.constraint === constraint)
  );
}

/** A serializable transaction lost a race, or a deadlock was broken: safe to retry. */
export function isRetryableConflict(error: unknown): boolean {
  const code = asPg(error).code;
  return code === "40001" || code === "40P01";
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "57014", // query_canceled: ATRIUM_DB_STATEMENT_TIMEOUT
  "08000",
  "08003",
  "08006",
]);

/** The database could not be reached or did not answer in time: the request fails closed with 503. */
export function isConnectionError(error: unknown): boolean {
  const pgError = asPg(error);
  if (pgError.code && CONNECTION_ERROR_CODES.has(pgError.code)) return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout|not queryable/i.test(
    message,
  );
}

/** Text Postgres cannot hold (a NUL byte, an invalid sequence): the input's fault, not ours. */
export function isUnstorableText(error: unknown): boolean {
  const code = asPg(error).code;
  return code === "22021" || code === "22P05";
}
