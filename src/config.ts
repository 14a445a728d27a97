import { isIP } from "node:net";
import { parseDuration } from "./lib/duration.js";

export interface Config {
  readonly port: number;
  readonly host: string;
  /** The origin people use (no trailing slash); email links and the CSRF check use it. */
  readonly publicUrl: string;
  readonly publicOrigin: string;
  /** True over https: cookies are `Secure` and named with the `__Host-` prefix. */
  readonly secureCookies: boolean;
  readonly sessionCookieName: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly signup: "open" | "invite-only";
  readonly personalOrgs: boolean;
  /** Whether signed-in accounts may create organizations; otherwise only the operator does. */
  readonly accountsCreateOrganizations: boolean;
  readonly sessionTtlMs: number;
  readonly sessionRefreshMs: number;
  readonly sessionFreshMs: number;
  readonly sessionMaxAgeMs: number;
  readonly passwordMinLength: number;
  /**
   * Whom to believe about the client's address in X-Forwarded-For: nobody (false), the address
   * appended by the nearest N proxies (a hop count), or the proxies at these addresses.
   */
  readonly trustProxy: false | number | string[];
  readonly invitationTtlMs: number;
  readonly logLevel: string;
  /** Audit events older than this are dropped (undefined: kept for ever). */
  readonly auditRetentionMs: number | undefined;
  /** A request, headers and body, must arrive within this; idle connections close after it. */
  readonly requestTimeoutMs: number;
  /** Bearer token for GET /metrics; without it, only loopback clients may scrape. */
  readonly metricsToken: string | undefined;
  /** HMAC key for the audit hash chains: a database writer without it cannot forge them. */
  readonly auditChainKey: string | undefined;
  /** PostgreSQL: the longest one statement may run before the request fails with 503. */
  readonly dbStatementTimeoutMs: number;
  /** PostgreSQL: the longest a request waits for a database connection. */
  readonly dbConnectTimeoutMs: number;
  /** Social sign-in providers, in the order they are shown. */
  readonly socialProviders: readonly SocialProviderConfig[];
}

/**
 * One social sign-in provider. `oidc` (Google too) is found by discovery from its issuer;
 * GitHub speaks OAuth 2 only, so its endpoints are fixed (overridable for tests).
 */
export type SocialProviderConfig =
  | {
      readonly kind: "oidc" | "google";
      /** Lowercase letters and digits: the provider's part of the paths. */
      readonly id: string;
      readonly name: string;
      readonly issuer: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly kind: "github";
      readonly id: "github";
      readonly name: string;
      /** Where people authorize and the token endpoint live (https://github.com). */
      readonly baseUrl: string;
      /** The REST API that answers /user and /user/emails (https://api.github.com). */
      readonly apiUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
    };

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
/** Longer durations overflow a Date once added to the current time: refused at start, not at use. */
const MAX_DURATION_MS = 36_500 * 86_400_000;

/** An IPv4 or IPv6 address, optionally with a CIDR prefix length that fits it. */
function isProxyAddress(part: string): boolean {
  const [address = "", prefix, ...rest] = part.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Longer request timeouts only help a slow-drip client hold connections open. */
const MAX_REQUEST_TIMEOUT_MS = 3_600_000;

function requestTimeout(env: Env): number {
  const value = duration(env, "ATRIUM_REQUEST_TIMEOUT", "30s");
  if (value < 1000 || value > MAX_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `ATRIUM_REQUEST_TIMEOUT must be from 1s to 1h (got "${env.ATRIUM_REQUEST_TIMEOUT}")`,
    );
  }
  return value;
}

/** Proxy hops in front of Atrium; more than this is a mistake, not a deployment. */
const MAX_PROXY_HOPS = 10;

function trustedProxies(raw: string | undefined): false | number | string[] {
  if (raw === undefined || raw === "" || raw === "false") return false;
  // `true` would believe the leftmost X-Forwarded-For entry, which the client itself writes.
  if (raw === "true") {
    throw new ConfigError(
      "ATRIUM_TRUST_PROXY cannot be true (it would believe an address the client writes): set it " +
        "to the number of proxies in front of Atrium (1 for one reverse proxy) or to their addresses",
    );
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > MAX_PROXY_HOPS) {
      throw new ConfigError(
        `ATRIUM_TRUST_PROXY must be false, a proxy count from 1 to ${MAX_PROXY_HOPS}, or a list of proxy addresses (got "${raw}")`,
      );
    }
    return hops;
  }
  const list = raw.split(",").map((part) => part.trim());
  if (!list.every(isProxyAddress)) {
    throw new ConfigError(
      "ATRIUM_TRUST_PROXY must be false, a proxy count (1 for one reverse proxy) or a comma-separated list of proxy addresses",
    );
  }
  return list;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = env[name] ?? fallback;
  const value = parseDuration(raw);
  if (value === undefined || value > MAX_DURATION_MS) {
    throw new ConfigError(
      `${name} must be a duration like 90s, 15m, 1h or 7d, at most 36500d (got "${raw}")`,
    );
  }
  return value;
}

/** A database timeout: long enough to be met under load, short enough that a request fails rather than hangs. */
function dbTimeout(env: Env, name: string, fallback: string): number {
  const value = duration(env[name] ? env : {}, name, fallback);
  if (value < 100 || value > 600_000) {
    throw new ConfigError(`${name} must be from 100ms to 10m (got "${env[name]}")`);
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function url(env: Env, name: string, protocols: string[]): URL | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(" or ")})`);
  }
  if (!protocols.includes(parsed.protocol.slice(0, -1))) {
    throw new ConfigError(
      `${name} must start with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    );
  }
  return parsed;
}

function metricsToken(env: Env): string | undefined {
  const token = env.ATRIUM_METRICS_TOKEN;
  if (token === undefined || token === "") return undefined;
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError("ATRIUM_METRICS_TOKEN must be at least 16 characters without spaces");
  }
  return token;
}

function auditChainKey(env: Env): string | undefined {
  const key = env.ATRIUM_AUDIT_CHAIN_KEY;
  if (key === undefined || key === "") return undefined;
  // The value is never echoed: it is a secret.
  if (key.length < 32)
    throw new ConfigError("ATRIUM_AUDIT_CHAIN_KEY must be at least 32 characters");
  return key;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** Loopback addresses: where a provider may speak plain http (development and tests). */
function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** An issuer or endpoint: https, or http on a loopback address; no credentials, query or fragment. */
function providerUrl(env: Env, name: string, fallback?: string): string {
  const raw = env[name] || fallback;
  if (raw === undefined) throw new ConfigError(`${name} must be set`);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (https://…)`);
  }
  const allowed =
    parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopback(parsed.hostname));
  if (!allowed) {
    throw new ConfigError(`${name} must be an https:// URL (http:// only on a loopback address)`);
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ConfigError(`${name} must not carry credentials, a query or a fragment`);
  }
  return raw.replace(/\/$/, "");
}

/** A client id or secret: printable, no spaces. Secrets are never echoed. */
function credential(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new ConfigError(`${name} must be set`);
  if (value.length > 512 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(`${name} must be printable characters without spaces`);
  }
  return value;
}

function displayName(env: Env, name: string, fallback: string): string {
  const value = (env[name] ?? "").trim() || fallback;
  if (value.length > 60 || /\p{Cc}/u.test(value)) {
    throw new ConfigError(`${name} must be one line of at most 60 characters`);
  }
  return value;
}

const OIDC_VARIABLE = /^ATRIUM_OIDC_(.+?)_(ISSUER|CLIENT_ID|CLIENT_SECRET|NAME)$/;

/**
 * ATRIUM_OIDC_<ID>_…, ATRIUM_GITHUB_… and ATRIUM_GOOGLE_…: each provider is on when its client id
 * is set. A misspelt variable under these prefixes stops the process rather than being ignored.
 */
function socialProviders(env: Env): SocialProviderConfig[] {
  const providers: SocialProviderConfig[] = [];
  const ids = new Set<string>();
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("ATRIUM_OIDC_") || env[name] === undefined) continue;
    const match = OIDC_VARIABLE.exec(name);
    if (!match?.[1] || !/^[A-Za-z0-9]+$/.test(match[1])) {
      throw new ConfigError(
        `${name} is not a provider setting: use ATRIUM_OIDC_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET or _NAME, where <ID> is letters and digits`,
      );
    }
    ids.add(match[1]);
  }
  for (const raw of ids) {
    const id = raw.toLowerCase();
    const prefix = `ATRIUM_OIDC_${raw}_`;
    if (id === "github" || id === "google" || providers.some((p) => p.id === id)) {
      throw new ConfigError(`${prefix}ISSUER: the provider id "${id}" is already taken`);
    }
    providers.push({
      kind: "oidc",
      id,
      name: displayName(env, `${prefix}NAME`, raw),
      issuer: providerUrl(env, `${prefix}ISSUER`),
      clientId: credential(env, `${prefix}CLIENT_ID`),
      clientSecret: credential(env, `${prefix}CLIENT_SECRET`),
    });
  }
  if (env.ATRIUM_GOOGLE_CLIENT_ID || env.ATRIUM_GOOGLE_CLIENT_SECRET) {
    providers.push({
      kind: "google",
      id: "google",
      name: "Google",
      issuer: "https://accounts.google.com",
      clientId: credential(env, "ATRIUM_GOOGLE_CLIENT_ID"),
      clientSecret: credential(env, "ATRIUM_GOOGLE_CLIENT_SECRET"),
    });
  }
  if (env.ATRIUM_GITHUB_CLIENT_ID || env.ATRIUM_GITHUB_CLIENT_SECRET) {
    providers.push({
      kind: "github",
      id: "github",
      name: "GitHub",
      // For tests and GitHub Enterprise Server: where GitHub's OAuth pages and API answer.
      baseUrl: providerUrl(env, "ATRIUM_GITHUB_BASE_URL", "https://github.com"),
      apiUrl: providerUrl(env, "ATRIUM_GITHUB_API_URL", "https://api.github.com"),
      clientId: credential(env, "ATRIUM_GITHUB_CLIENT_ID"),
      clientSecret: credential(env, "ATRIUM_GITHUB_CLIENT_SECRET"),
    });
  }
  return providers;
}

/** Reads the environment once into a frozen Config; a bad value throws one clear line. */
export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, "PORT", 3000, 0, 65535);
  const host = env.HOST || "127.0.0.1";

  const publicUrl =
    url(env, "PUBLIC_URL", ["http", "https"]) ?? new URL(`http://localhost:${port}`);
  if (publicUrl.search || publicUrl.hash || publicUrl.username) {
    throw new ConfigError("PUBLIC_URL must not carry credentials, a query or a fragment");
  }
  const secureCookies = publicUrl.protocol === "https:";

  const databaseUrl = url(env, "DATABASE_URL", ["postgres", "postgresql"]);
  const smtpUrl = url(env, "SMTP_URL", ["smtp", "smtps"]);

  const signup = env.ATRIUM_SIGNUP || "open";
  if (signup !== "open" && signup !== "invite-only") {
    throw new ConfigError(`ATRIUM_SIGNUP must be open or invite-only (got "${signup}")`);
  }

  const sessionTtlMs = duration(env, "ATRIUM_SESSION_TTL", "7d");
  const sessionRefreshMs = duration(env, "ATRIUM_SESSION_REFRESH", "1d");
  const sessionMaxAgeMs = duration(env, "ATRIUM_SESSION_MAX_AGE", "30d");
  if (sessionRefreshMs >= sessionTtlMs) {
    throw new ConfigError("ATRIUM_SESSION_REFRESH must be shorter than ATRIUM_SESSION_TTL");
  }

  const trustProxy = trustedProxies(env.ATRIUM_TRUST_PROXY);

  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);
  }

  const mailFrom = env.MAIL_FROM || "Atrium <no-reply@localhost>";
  if (/[\r\n]/.test(mailFrom)) throw new ConfigError("MAIL_FROM must be a single line");

  return Object.freeze({
    port,
    host,
    publicUrl: publicUrl.href.replace(/\/$/, ""),
    publicOrigin: publicUrl.origin,
    secureCookies,
    sessionCookieName: secureCookies ? "__Host-atrium_session" : "atrium_session",
    databaseUrl: databaseUrl?.href,
    dataDir: env.ATRIUM_DATA_DIR || "./data",
    smtpUrl: smtpUrl?.href,
    mailFrom,
    signup,
    personalOrgs: boolean(env, "ATRIUM_PERSONAL_ORGS", signup === "open"),
    accountsCreateOrganizations: boolean(env, "ATRIUM_ACCOUNTS_CREATE_ORGS", signup === "open"),
    sessionTtlMs,
    sessionRefreshMs,
    sessionFreshMs: duration(env, "ATRIUM_SESSION_FRESH", "1h"),
    sessionMaxAgeMs,
    passwordMinLength: integer(env, "ATRIUM_PASSWORD_MIN_LENGTH", 8, 8, 1024),
    trustProxy,
    invitationTtlMs: duration(env, "ATRIUM_INVITATION_TTL", "7d"),
    logLevel,
    auditRetentionMs:
      env.ATRIUM_AUDIT_RETENTION && env.ATRIUM_AUDIT_RETENTION !== "unlimited"
        ? duration(env, "ATRIUM_AUDIT_RETENTION", "")
        : undefined,
    metricsToken: metricsToken(env),
    requestTimeoutMs: requestTimeout(env),
    auditChainKey: auditChainKey(env),
    dbStatementTimeoutMs: dbTimeout(env, "ATRIUM_DB_STATEMENT_TIMEOUT", "5s"),
    dbConnectTimeoutMs: dbTimeout(env, "ATRIUM_DB_CONNECT_TIMEOUT", "5s"),
    socialProviders: Object.freeze(socialProviders(env)),
  });
}
