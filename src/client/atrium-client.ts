import type { Operations } from "./api-types.js";

/** An error answer of the API, in the contract's shape. */
export class AtriumApiError extends Error {
  override name = "AtriumApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Input<K extends keyof Operations> = (Operations[K]["params"] extends Record<string, never>
  ? { params?: undefined }
  : { params: Operations[K]["params"] }) &
  (Operations[K]["query"] extends Record<string, never>
    ? { query?: undefined }
    : { query?: Operations[K]["query"] }) &
  (Operations[K]["body"] extends undefined
    ? { body?: undefined }
    : { body: Operations[K]["body"] });

export interface AtriumClientOptions {
  /** Where Atrium is, e.g. https://atrium.example.com */
  baseUrl: string;
  /** An API key (atr_…), sent as a bearer token. */
  apiKey?: string;
  /** Extra headers on every request (a session cookie and its Origin, in a browser-less script). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/**
 * A client typed by the OpenAPI document: `request("POST /api/v1/auth/sign-in", { body })`
 * checks the path parameters, query and body and types the answer. Errors throw AtriumApiError.
 */
export function createAtriumClient(options: AtriumClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/$/, "");

  return {
    async request<K extends keyof Operations>(
      operation: K,
      ...[input]: Record<never, never> extends Input<K> ? [Input<K>?] : [Input<K>]
    ): Promise<Operations[K]["response"]> {
      const [method, template] = (operation as string).split(" ") as [string, string];
      const given = (input ?? {}) as {
        params?: Record<string, string>;
        query?: Record<string, string | undefined>;
        body?: unknown;
      };
      const path = template.replace(/\{(\w+)\}/g, (_match, name: string) => {
        const value = given.params?.[name];
        if (value === undefined) throw new Error(`missing path parameter ${name}`);
        return encodeURIComponent(value);
      });
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(given.query ?? {}))
        if (value !== undefined) query.set(name, value);
      const headers: Record<string, string> = { ...options.headers };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      if (given.body !== undefined) headers["content-type"] = "application/json";
      const response = await doFetch(`${base}${path}${query.size > 0 ? `?${query}` : ""}`, {
        method,
        headers,
        ...(given.body === undefined ? {} : { body: JSON.stringify(given.body) }),
      });
      const text = await response.text();
      const parsed =
        text && response.headers.get("content-type")?.includes("json")
          ? JSON.parse(text)
          : undefined;
      if (!response.ok) {
        const error = parsed?.error ?? {};
        throw new AtriumApiError(
          response.status,
          error.code ?? "unknown",
          error.message ?? response.statusText,
          error.details,
        );
      }
      return parsed as Operations[K]["response"];
    },
  };
}

export type AtriumClient = ReturnType<typeof createAtriumClient>;
