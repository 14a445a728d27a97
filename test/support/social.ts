import { expect } from "vitest";
import { type Client, PUBLIC_URL, type Reply, type TestApp } from "./test-app.js";

/** A cookie jar for one origin: enough for the providers the tests run. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "")
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * A browser going through a social sign-in: Atrium's client (its session cookie and the flow
 * cookie) and the provider's cookies, following redirects by hand so that tests can stop,
 * look and tamper between the steps.
 */
export class SocialBrowser {
  flowCookie: string | undefined;
  readonly provider = new Jar();

  constructor(
    readonly t: TestApp,
    readonly client: Client,
  ) {}

  #cookieHeader(): string {
    return [
      ...(this.client.cookie ? [`atrium_session=${this.client.cookie}`] : []),
      ...(this.flowCookie ? [`atrium_oauth=${this.flowCookie}`] : []),
    ].join("; ");
  }

  async #atrium(pathAndQuery: string): Promise<Reply> {
    const reply = await this.client.get(pathAndQuery, { cookie: this.#cookieHeader() });
    const flow = reply.raw.cookies.find((c) => c.name === "atrium_oauth");
    if (flow) this.flowCookie = flow.value;
    return reply;
  }

  /** GET …/start; answers the redirect (to the provider, or to the error page). */
  async start(provider: string, query: Record<string, string> = {}): Promise<Reply> {
    const search = new URLSearchParams(query).toString();
    return this.#atrium(`/api/v1/auth/oauth/${provider}/start${search ? `?${search}` : ""}`);
  }

  /** Follows the provider's redirects from the authorization URL to Atrium's callback URL. */
  async authorize(url: string): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 10; hop++) {
      if (next.startsWith(PUBLIC_URL)) return next;
      const response = await fetch(next, {
        redirect: "manual",
        headers: { cookie: this.provider.header() },
      });
      this.provider.take(response);
      const location = response.headers.get("location");
      if (!location) {
        throw new Error(`provider answered ${response.status}: ${await response.text()}`);
      }
      next = new URL(location, next).href;
    }
    throw new Error("too many redirects at the provider");
  }

  /** GET the callback URL on Atrium, as the browser the provider redirected. */
  async callback(url: string): Promise<Reply> {
    const { pathname, search } = new URL(url);
    return this.#atrium(`${pathname}${search}`);
  }

  /** The whole round trip; answers the callback's reply. */
  async signIn(provider: string, query: Record<string, string> = {}): Promise<Reply> {
    const started = await this.start(provider, query);
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    const location = String(started.headers.location);
    if (location.startsWith(PUBLIC_URL)) return started;
    return this.callback(await this.authorize(location));
  }
}

/** Where a redirect goes, relative to Atrium's site. */
export function redirectedTo(reply: Reply): string {
  expect(reply.status, JSON.stringify(reply.body)).toBe(302);
  const location = String(reply.headers.location);
  return location.startsWith(PUBLIC_URL) ? location.slice(PUBLIC_URL.length) : location;
}

/** The failure reason of a redirect to the console's error page. */
export function failureReason(reply: Reply): string | null {
  const location = redirectedTo(reply);
  if (!location.startsWith("/social-error?")) return null;
  return new URLSearchParams(location.slice("/social-error?".length)).get("reason");
}
