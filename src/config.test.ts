import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

/** The error loadConfig throws for this environment (fails the test if it does not throw). */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("loadConfig defaults", () => {
  it("gives every setting the documented default on an empty environment", () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: "127.0.0.1",
      publicUrl: "http://localhost:3000",
      publicOrigin: "http://localhost:3000",
      secureCookies: false,
      sessionCookieName: "atrium_session",
      databaseUrl: undefined,
      dataDir: "./data",
      smtpUrl: undefined,
      mailFrom: "Atrium <no-reply@localhost>",
      signup: "open",
      personalOrgs: true,
      accountsCreateOrganizations: true,
      sessionTtlMs: 7 * DAY,
      sessionRefreshMs: DAY,
      sessionFreshMs: HOUR,
      sessionMaxAgeMs: 30 * DAY,
      passwordMinLength: 8,
      trustProxy: false,
      invitationTtlMs: 7 * DAY,
      logLevel: "info",
      requestTimeoutMs: 30_000,
      dbStatementTimeoutMs: 5000,
      dbConnectTimeoutMs: 5000,
      socialProviders: [],
    });
  });

  it("reads ATRIUM_REQUEST_TIMEOUT as a duration from 1s to 1h", () => {
    expect(loadConfig({ ATRIUM_REQUEST_TIMEOUT: "2s" }).requestTimeoutMs).toBe(2000);
    expect(loadConfig({ ATRIUM_REQUEST_TIMEOUT: "1h" }).requestTimeoutMs).toBe(HOUR);
  });

  it("treats empty variables as unset", () => {
    const config = loadConfig({ PORT: "", PUBLIC_URL: "", ATRIUM_SIGNUP: "", LOG_LEVEL: "" });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe("http://localhost:3000");
    expect(config.signup).toBe("open");
    expect(config.logLevel).toBe("info");
  });

  it("builds the default PUBLIC_URL from PORT", () => {
    expect(loadConfig({ PORT: "8080" }).publicUrl).toBe("http://localhost:8080");
  });

  it("returns a frozen object that cannot be changed afterwards", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
  });
});

describe("loadConfig values", () => {
  it("uses https for Secure cookies under the __Host- name, and strips a trailing slash", () => {
    const config = loadConfig({ PUBLIC_URL: "https://accounts.example.com/" });
    expect(config.publicUrl).toBe("https://accounts.example.com");
    expect(config.publicOrigin).toBe("https://accounts.example.com");
    expect(config.secureCookies).toBe(true);
    expect(config.sessionCookieName).toBe("__Host-atrium_session");
  });

  it("keeps a path in PUBLIC_URL for links while the origin is scheme, host and port", () => {
    const config = loadConfig({ PUBLIC_URL: "http://example.com:8443/atrium/" });
    expect(config.publicUrl).toBe("http://example.com:8443/atrium");
    expect(config.publicOrigin).toBe("http://example.com:8443");
  });

  it("reads durations in every documented unit", () => {
    const config = loadConfig({
      ATRIUM_SESSION_TTL: "90s",
      ATRIUM_SESSION_REFRESH: "500ms",
      ATRIUM_SESSION_FRESH: "15m",
      ATRIUM_SESSION_MAX_AGE: "2h",
      ATRIUM_INVITATION_TTL: "3d",
    });
    expect(config.sessionTtlMs).toBe(90_000);
    expect(config.sessionRefreshMs).toBe(500);
    expect(config.sessionFreshMs).toBe(15 * 60_000);
    expect(config.sessionMaxAgeMs).toBe(2 * HOUR);
    expect(config.invitationTtlMs).toBe(3 * DAY);
  });

  it("turns personal organizations off by default when sign-up is invite-only", () => {
    expect(loadConfig({ ATRIUM_SIGNUP: "invite-only" })).toMatchObject({
      signup: "invite-only",
      personalOrgs: false,
    });
    expect(
      loadConfig({ ATRIUM_SIGNUP: "invite-only", ATRIUM_PERSONAL_ORGS: "true" }).personalOrgs,
    ).toBe(true);
    expect(loadConfig({ ATRIUM_PERSONAL_ORGS: "false" }).personalOrgs).toBe(false);
  });

  it("lets accounts create organizations by default only when sign-up is open", () => {
    expect(loadConfig({}).accountsCreateOrganizations).toBe(true);
    expect(loadConfig({ ATRIUM_SIGNUP: "invite-only" }).accountsCreateOrganizations).toBe(false);
    expect(
      loadConfig({ ATRIUM_SIGNUP: "invite-only", ATRIUM_ACCOUNTS_CREATE_ORGS: "true" })
        .accountsCreateOrganizations,
    ).toBe(true);
    expect(() => loadConfig({ ATRIUM_ACCOUNTS_CREATE_ORGS: "sometimes" })).toThrow(
      /ATRIUM_ACCOUNTS_CREATE_ORGS/,
    );
  });

  it("reads ATRIUM_TRUST_PROXY as false, a proxy count or a list of addresses", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ ATRIUM_TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(loadConfig({ ATRIUM_TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ ATRIUM_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(
      loadConfig({ ATRIUM_TRUST_PROXY: "10.0.0.1, 192.168.0.0/16,::1,fd00::/8" }).trustProxy,
    ).toEqual(["10.0.0.1", "192.168.0.0/16", "::1", "fd00::/8"]);
  });

  it("accepts a postgres DATABASE_URL and an smtp or smtps SMTP_URL", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db:5432/atrium" }).databaseUrl).toBe(
      "postgres://u:p@db:5432/atrium",
    );
    expect(loadConfig({ DATABASE_URL: "postgresql://db/atrium" }).databaseUrl).toBe(
      "postgresql://db/atrium",
    );
    expect(loadConfig({ SMTP_URL: "smtps://user:pass@mail:465" }).smtpUrl).toBe(
      "smtps://user:pass@mail:465",
    );
  });

  it("accepts a password minimum above 8 and every pino level", () => {
    expect(loadConfig({ ATRIUM_PASSWORD_MIN_LENGTH: "12" }).passwordMinLength).toBe(12);
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });
});

describe("loadConfig refusals", () => {
  const bad: Array<[string, Record<string, string>]> = [
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "70000" }],
    ["PORT", { PORT: "-1" }],
    ["PORT", { PORT: "80.5" }],
    ["PORT", { PORT: " 80" }],
    ["PUBLIC_URL", { PUBLIC_URL: "atrium.example.com" }],
    ["PUBLIC_URL", { PUBLIC_URL: "ftp://atrium.example.com" }],
    ["PUBLIC_URL", { PUBLIC_URL: "https://user:secret@atrium.example.com" }],
    ["PUBLIC_URL", { PUBLIC_URL: "https://atrium.example.com/?next=x" }],
    ["PUBLIC_URL", { PUBLIC_URL: "https://atrium.example.com/#top" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://db/atrium" }],
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["SMTP_URL", { SMTP_URL: "http://mail.example.com" }],
    ["SMTP_URL", { SMTP_URL: "mail.example.com:25" }],
    ["ATRIUM_SIGNUP", { ATRIUM_SIGNUP: "closed" }],
    ["ATRIUM_SIGNUP", { ATRIUM_SIGNUP: "Open" }],
    ["ATRIUM_PERSONAL_ORGS", { ATRIUM_PERSONAL_ORGS: "yes" }],
    ["ATRIUM_SESSION_TTL", { ATRIUM_SESSION_TTL: "7 days" }],
    ["ATRIUM_SESSION_TTL", { ATRIUM_SESSION_TTL: "0d" }],
    ["ATRIUM_SESSION_TTL", { ATRIUM_SESSION_TTL: "1w" }],
    ["ATRIUM_SESSION_TTL", { ATRIUM_SESSION_TTL: "3600" }],
    ["ATRIUM_SESSION_TTL", { ATRIUM_SESSION_TTL: "999999999d" }],
    ["ATRIUM_SESSION_REFRESH", { ATRIUM_SESSION_REFRESH: "-1h" }],
    ["ATRIUM_SESSION_REFRESH", { ATRIUM_SESSION_REFRESH: "7d" }],
    ["ATRIUM_SESSION_FRESH", { ATRIUM_SESSION_FRESH: "1.5h" }],
    ["ATRIUM_SESSION_MAX_AGE", { ATRIUM_SESSION_MAX_AGE: "forever" }],
    ["ATRIUM_INVITATION_TTL", { ATRIUM_INVITATION_TTL: "7D" }],
    ["ATRIUM_PASSWORD_MIN_LENGTH", { ATRIUM_PASSWORD_MIN_LENGTH: "7" }],
    ["ATRIUM_PASSWORD_MIN_LENGTH", { ATRIUM_PASSWORD_MIN_LENGTH: "0" }],
    ["ATRIUM_PASSWORD_MIN_LENGTH", { ATRIUM_PASSWORD_MIN_LENGTH: "eight" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "yes" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "true" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "0" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "11" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "proxy.internal" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "10.0.0.1,*" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "cafe" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "10.0.0.1/99" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "fd00::/129" }],
    ["ATRIUM_TRUST_PROXY", { ATRIUM_TRUST_PROXY: "10.0.0.1/8/8" }],
    ["ATRIUM_REQUEST_TIMEOUT", { ATRIUM_REQUEST_TIMEOUT: "30" }],
    ["ATRIUM_REQUEST_TIMEOUT", { ATRIUM_REQUEST_TIMEOUT: "2h" }],
    ["ATRIUM_REQUEST_TIMEOUT", { ATRIUM_REQUEST_TIMEOUT: "0s" }],
    ["LOG_LEVEL", { LOG_LEVEL: "verbose" }],
    ["LOG_LEVEL", { LOG_LEVEL: "INFO" }],
    ["MAIL_FROM", { MAIL_FROM: "Atrium <a@example.com>\r\nBcc: eve@example.net" }],
    ["ATRIUM_DB_STATEMENT_TIMEOUT", { ATRIUM_DB_STATEMENT_TIMEOUT: "50ms" }],
    ["ATRIUM_DB_STATEMENT_TIMEOUT", { ATRIUM_DB_STATEMENT_TIMEOUT: "11m" }],
    ["ATRIUM_DB_STATEMENT_TIMEOUT", { ATRIUM_DB_STATEMENT_TIMEOUT: "5" }],
    ["ATRIUM_DB_CONNECT_TIMEOUT", { ATRIUM_DB_CONNECT_TIMEOUT: "0s" }],
    ["ATRIUM_DB_CONNECT_TIMEOUT", { ATRIUM_DB_CONNECT_TIMEOUT: "forever" }],
  ];

  it.each(bad)("stops with one line naming %s for %j", (name, env) => {
    const error = refusal(env);
    expect(error.message.startsWith(`${name} `)).toBe(true);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it("reads the database timeouts from 100ms to 10m", () => {
    const config = loadConfig({
      ATRIUM_DB_STATEMENT_TIMEOUT: "1500ms",
      ATRIUM_DB_CONNECT_TIMEOUT: "10m",
    });
    expect(config.dbStatementTimeoutMs).toBe(1500);
    expect(config.dbConnectTimeoutMs).toBe(600_000);
    expect(loadConfig({ ATRIUM_DB_STATEMENT_TIMEOUT: "100ms" }).dbStatementTimeoutMs).toBe(100);
    expect(loadConfig({ ATRIUM_DB_STATEMENT_TIMEOUT: "" }).dbStatementTimeoutMs).toBe(5000);
  });

  it("refuses a duration too long to be added to a date, at start rather than at use", () => {
    expect(loadConfig({ ATRIUM_INVITATION_TTL: "36500d" }).invitationTtlMs).toBe(36_500 * DAY);
    expect(refusal({ ATRIUM_INVITATION_TTL: "36501d" }).message).toMatch(/^ATRIUM_INVITATION_TTL /);
  });

  it("refuses ATRIUM_TRUST_PROXY=true, which would believe a client-written address, saying what to write", () => {
    const message = refusal({ ATRIUM_TRUST_PROXY: "true" }).message;
    expect(message).toMatch(/^ATRIUM_TRUST_PROXY cannot be true /);
    expect(message).toContain("number of proxies in front of Atrium (1 for one reverse proxy)");
  });

  it("refuses a trusted proxy list that Fastify could not use", () => {
    // Fastify would throw "invalid IP address: cafe" at start, naming no variable.
    expect(refusal({ ATRIUM_TRUST_PROXY: "10.0.0.1,cafe" }).message).toMatch(
      /^ATRIUM_TRUST_PROXY /,
    );
  });

  it("does not echo the credentials of a bad URL", () => {
    const error = refusal({ DATABASE_URL: "mysql://admin:hunter2hunter2@db/atrium" });
    expect(error.message).not.toContain("hunter2hunter2");
  });
});

describe("social sign-in providers", () => {
  const okta = {
    ATRIUM_OIDC_OKTA_ISSUER: "https://example.okta.com/",
    ATRIUM_OIDC_OKTA_CLIENT_ID: "client-1",
    ATRIUM_OIDC_OKTA_CLIENT_SECRET: "s3cret",
    ATRIUM_OIDC_OKTA_NAME: "Okta",
  };

  it("reads OpenID Connect, Google and GitHub providers from the environment", () => {
    const config = loadConfig({
      ...okta,
      ATRIUM_GOOGLE_CLIENT_ID: "g-id",
      ATRIUM_GOOGLE_CLIENT_SECRET: "g-secret",
      ATRIUM_GITHUB_CLIENT_ID: "gh-id",
      ATRIUM_GITHUB_CLIENT_SECRET: "gh-secret",
    });
    expect(config.socialProviders).toEqual([
      {
        kind: "oidc",
        id: "okta",
        name: "Okta",
        issuer: "https://example.okta.com",
        clientId: "client-1",
        clientSecret: "s3cret",
      },
      {
        kind: "google",
        id: "google",
        name: "Google",
        issuer: "https://accounts.google.com",
        clientId: "g-id",
        clientSecret: "g-secret",
      },
      {
        kind: "github",
        id: "github",
        name: "GitHub",
        baseUrl: "https://github.com",
        apiUrl: "https://api.github.com",
        clientId: "gh-id",
        clientSecret: "gh-secret",
      },
    ]);
  });

  it("allows plain http issuers only on loopback addresses", () => {
    for (const issuer of [
      "http://127.0.0.1:4000",
      "http://localhost:4000/oidc",
      "http://[::1]:9",
    ]) {
      expect(loadConfig({ ...okta, ATRIUM_OIDC_OKTA_ISSUER: issuer }).socialProviders).toHaveLength(
        1,
      );
    }
    for (const issuer of ["http://idp.example.com", "http://127.0.0.1.nip.io", "ftp://idp"]) {
      expect(refusal({ ...okta, ATRIUM_OIDC_OKTA_ISSUER: issuer }).message).toMatch(
        /^ATRIUM_OIDC_OKTA_ISSUER must be an https/,
      );
    }
  });

  it("names the variable that is missing, misspelt or malformed", () => {
    const { ATRIUM_OIDC_OKTA_CLIENT_SECRET: _, ...noSecret } = okta;
    expect(refusal(noSecret).message).toBe("ATRIUM_OIDC_OKTA_CLIENT_SECRET must be set");
    expect(refusal({ ...okta, ATRIUM_OIDC_OKTA_ISSUR: "x" }).message).toMatch(
      /^ATRIUM_OIDC_OKTA_ISSUR is not a provider setting/,
    );
    expect(refusal({ ...okta, "ATRIUM_OIDC_OK-TA_NAME": "x" }).message).toMatch(
      /^ATRIUM_OIDC_OK-TA_NAME is not a provider setting/,
    );
    expect(refusal({ ATRIUM_GITHUB_CLIENT_ID: "x" }).message).toBe(
      "ATRIUM_GITHUB_CLIENT_SECRET must be set",
    );
    expect(
      refusal({
        ATRIUM_GITHUB_CLIENT_ID: "x",
        ATRIUM_GITHUB_CLIENT_SECRET: "y",
        ATRIUM_GITHUB_BASE_URL: "http://github.example",
      }).message,
    ).toMatch(/^ATRIUM_GITHUB_BASE_URL must be an https/);
    expect(refusal({ ...okta, ATRIUM_OIDC_OKTA_CLIENT_SECRET: "has space" }).message).toBe(
      "ATRIUM_OIDC_OKTA_CLIENT_SECRET must be printable characters without spaces",
    );
  });

  it("refuses an OpenID Connect provider that takes GitHub's or Google's id", () => {
    expect(
      refusal({
        ATRIUM_OIDC_GITHUB_ISSUER: "https://idp.example",
        ATRIUM_OIDC_GITHUB_CLIENT_ID: "a",
        ATRIUM_OIDC_GITHUB_CLIENT_SECRET: "b",
      }).message,
    ).toMatch(/already taken/);
  });
});
