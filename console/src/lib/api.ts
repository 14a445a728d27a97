import { type AtriumClient, createAtriumClient } from "../../../src/client/index.js";

export type { components } from "../../../src/client/index.js";

/**
 * The console's only way to the server: the typed client, same origin, so the HttpOnly session
 * cookie goes along and the browser adds `Origin` to every request that changes something.
 */
export const api: AtriumClient = createAtriumClient({
  baseUrl: typeof location === "undefined" ? "http://localhost" : location.origin,
  fetch: (request) => fetch(request, { credentials: "same-origin" }),
});

export interface FieldProblem {
  field: string;
  problem: string;
}

/** An answer in the contract's error shape, thrown so that queries and mutations can fail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    /** Seconds, from `Retry-After` on a 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer, or an ApiError. */
export async function unwrap<T>(pending: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await pending;
  } catch {
    throw new ApiError(0, "network", "Atrium could not be reached. Check your connection.");
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const body = (error as { error?: { code?: string; message?: string; details?: unknown } })?.error;
  const retry = Number(response.headers.get("retry-after"));
  return Promise.reject(
    new ApiError(
      response.status,
      body?.code ?? "internal",
      body?.message ?? `The server answered ${response.status}.`,
      Array.isArray(body?.details) ? (body.details as FieldProblem[]) : [],
      Number.isFinite(retry) && retry > 0 ? retry : null,
    ),
  );
}
