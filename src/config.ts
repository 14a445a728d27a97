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
}

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
  });
}
