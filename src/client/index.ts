import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./api-types.js";

export type { components, operations, paths } from "./api-types.js";

export interface AtriumClientOptions {
  /** Where Atrium is (its PUBLIC_URL), e.g. https://atrium.example.com */
  baseUrl: string;
  /** An API key (atr_…), sent as a bearer token. */
  apiKey?: string;
  /** Another fetch (a test's, or one with a proxy). */
  fetch?: (input: Request) => Promise<Response>;
}

/** An openapi-fetch client typed by Atrium's OpenAPI document (`atrium/client`). */
export type AtriumClient = Client<paths>;

/**
 * A client for the Atrium API: `GET`, `POST`, `PATCH`, `DELETE` take the document's path
 * (`"/api/v1/organizations/{org}/members"`) and type its parameters, body and answer. Each call
 * resolves to `{ data }` on success or `{ error }` with the contract's error body, and the
 * `response`; path parameters are percent-encoded.
 */
export function createAtriumClient(options: AtriumClientOptions): AtriumClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.apiKey ? { headers: { authorization: `Bearer ${options.apiKey}` } } : {}),
  });
}
