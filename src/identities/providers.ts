import * as oidc from "openid-client";
import type { SocialProviderConfig } from "../config.js";

/** What a provider told us about the person, once its answer has been validated. */
export interface ProviderProfile {
  /** The identity's key: (issuer, subject). Never the email, never the provider's name. */
  issuer: string;
  subject: string;
  email: string | null;
  /** Only a strict `true` from the provider (a string "true" is not a verification). */
  emailVerified: boolean;
  name: string | null;
  /** When the person last authenticated at the provider (`auth_time`), if it says. */
  authTime: Date | null;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
  /** Ask the provider to authenticate the person again (re-authentication). */
  forceLogin: boolean;
}

export interface CallbackChecks {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The app's clock: token lifetimes are judged by it, as every other expiry here. */
  now: Date;
}

/** A provider's failure to hand over a valid answer: what the audit log and the page say. */
export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(
    /** `oauth_error` (the provider refused), `invalid_response` (its answer failed a check). */
    readonly reason: "oauth_error" | "invalid_response" | "unavailable",
    /** The provider's own error code (`access_denied`, `invalid_grant`…), when it gave one. */
    readonly providerError: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Seconds; a provider that takes longer fails the sign-in rather than holding the request. */
const PROVIDER_TIMEOUT_S = 10;

/** The response body openid-client attached to an error (`{body}`), if any. */
function bodyOf(cause: unknown): { error?: unknown } | undefined {
  return (cause as { body?: { error?: unknown } } | undefined)?.body;
}

/** A provider's error code as recorded: OAuth's codes are short and `[a-z_]`; anything else is "other". */
function errorCodeOf(code: string): string {
  return /^[a-z_]{1,64}$/.test(code) ? code : "other";
}

/** The error openid-client raised, as a reason and the provider's code (never a token). */
function providerErrorOf(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    // The callback's `?error=` is anyone's text: only a code-like excerpt reaches the audit log.
    return new ProviderError("oauth_error", errorCodeOf(error.error), error.message);
  }
  if (error instanceof oidc.ClientError) {
    // GitHub answers token errors with HTTP 200 and an `error` field: the body is not a token.
    const body = bodyOf(error.cause) ?? bodyOf((error.cause as { cause?: unknown })?.cause);
    if (typeof body?.error === "string") {
      return new ProviderError("oauth_error", errorCodeOf(body.error), error.message);
    }
    if (error.code === "OAUTH_TIMEOUT" || error.cause instanceof TypeError) {
      return new ProviderError("unavailable", undefined, error.message);
    }
    return new ProviderError("invalid_response", undefined, error.message);
  }
  if (error instanceof TypeError || (error as Error)?.name === "TimeoutError") {
    return new ProviderError("unavailable", undefined, String((error as Error).message));
  }
  throw error;
}

function secondsOff(now: Date): number {
  return Math.round((now.getTime() - Date.now()) / 1000);
}

function isPlainHttp(url: string): boolean {
  // config.ts allows plain http only on loopback addresses.
  return url.startsWith("http://");
}

/**
 * One configured provider: builds its authorization URL and turns its callback into a
 * validated profile. Everything about OAuth and OpenID Connect (discovery, PKCE, state, nonce,
 * `iss`, the ID token's signature and claims) is openid-client's.
 */
export class SocialProvider {
  #server: Promise<oidc.ServerMetadata> | undefined;
  #configuration: { skew: number; value: oidc.Configuration } | undefined;

  constructor(readonly config: SocialProviderConfig) {}

  get id(): string {
    return this.config.id;
  }

  /** The issuer an identity of this provider is keyed under. */
  get issuer(): string {
    return this.config.kind === "github" ? this.config.baseUrl : this.config.issuer;
  }

  /** Discovered once (again after a failure), then kept for the life of the process. */
  async #serverMetadata(): Promise<oidc.ServerMetadata> {
    const { config } = this;
    if (config.kind === "github") {
      return {
        issuer: config.baseUrl,
        authorization_endpoint: `${config.baseUrl}/login/oauth/authorize`,
        token_endpoint: `${config.baseUrl}/login/oauth/access_token`,
      };
    }
    this.#server ??= oidc
      .discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
        ...(isPlainHttp(config.issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: PROVIDER_TIMEOUT_S,
      })
      .then((found) => found.serverMetadata());
    try {
      return await this.#server;
    } catch (error) {
      this.#server = undefined;
      throw new ProviderError("unavailable", undefined, `discovery failed: ${error}`);
    }
  }

  async #configurationAt(now: Date): Promise<oidc.Configuration> {
    const skew = secondsOff(now);
    if (this.#configuration?.skew === skew) return this.#configuration.value;
    const value = new oidc.Configuration(await this.#serverMetadata(), this.config.clientId, {
      client_secret: this.config.clientSecret,
      [oidc.clockSkew]: skew,
    });
    value.timeout = PROVIDER_TIMEOUT_S;
    const url = this.config.kind === "github" ? this.config.apiUrl : this.issuer;
    if (isPlainHttp(this.issuer) || isPlainHttp(url)) oidc.allowInsecureRequests(value);
    this.#configuration = { skew, value };
    return value;
  }

  async authorizationUrl(request: AuthorizationRequest, now: Date): Promise<URL> {
    const configuration = await this.#configurationAt(now);
    const parameters: Record<string, string> = {
      redirect_uri: request.redirectUri,
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: "S256",
    };
    if (this.config.kind === "github") {
      parameters.scope = "read:user user:email";
    } else {
      parameters.scope = "openid email profile";
      parameters.nonce = request.nonce;
      if (request.forceLogin) {
        // A new sign-in at the provider, and its time in the ID token (auth_time is required
        // with max_age): re-authentication checks both.
        parameters.prompt = "login";
        parameters.max_age = "0";
      }
    }
    return oidc.buildAuthorizationUrl(configuration, parameters);
  }

  /**
   * Checks the callback (state, `iss`), redeems the code with the PKCE verifier and validates
   * the ID token (signature, issuer, audience, expiry, nonce), then reads the profile.
   */
  async finish(callbackUrl: URL, checks: CallbackChecks): Promise<ProviderProfile> {
    try {
      const configuration = await this.#configurationAt(checks.now);
      if (this.config.kind === "github") {
        const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
        });
        return await this.#githubProfile(configuration, tokens.access_token);
      }
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        // Always sent and always required: an ID token minted for another request is refused.
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new ProviderError("invalid_response", undefined, "no ID token");
      let info: Record<string, unknown> = claims;
      if (claims.email === undefined && configuration.serverMetadata().userinfo_endpoint) {
        // Providers that issue an access token may keep the email for the UserInfo endpoint;
        // openid-client checks that its subject is the ID token's.
        info = { ...(await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub)) };
      }
      return {
        issuer: this.issuer,
        subject: claims.sub,
        email: typeof info.email === "string" ? info.email : null,
        emailVerified: info.email_verified === true,
        name: typeof info.name === "string" ? info.name : null,
        authTime: typeof claims.auth_time === "number" ? new Date(claims.auth_time * 1000) : null,
      };
    } catch (error) {
      throw providerErrorOf(error);
    }
  }

  /** GitHub's user id is the subject; the email is the primary address, verified or not. */
  async #githubProfile(
    configuration: oidc.Configuration,
    accessToken: string,
  ): Promise<ProviderProfile> {
    if (this.config.kind !== "github") throw new Error("not GitHub");
    const api = this.config.apiUrl;
    const get = async (path: string): Promise<unknown> => {
      const response = await oidc.fetchProtectedResource(
        configuration,
        accessToken,
        new URL(`${api}${path}`),
        "GET",
        undefined,
        new Headers({
          accept: "application/vnd.github+json",
          "x-github-api-version": "2022-11-28",
        }),
      );
      if (!response.ok) {
        throw new ProviderError(
          "invalid_response",
          undefined,
          `GitHub ${path}: ${response.status}`,
        );
      }
      return response.json();
    };
    const user = (await get("/user")) as { id?: unknown; login?: unknown; name?: unknown };
    if (typeof user.id !== "number" || !Number.isSafeInteger(user.id)) {
      throw new ProviderError("invalid_response", undefined, "GitHub /user has no numeric id");
    }
    const emails = await get("/user/emails");
    const primary = Array.isArray(emails)
      ? (emails as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>).find(
          (entry) => entry.primary === true && typeof entry.email === "string",
        )
      : undefined;
    return {
      issuer: this.issuer,
      subject: String(user.id),
      email: typeof primary?.email === "string" ? primary.email : null,
      emailVerified: primary?.verified === true,
      name:
        typeof user.name === "string" && user.name.trim()
          ? user.name
          : typeof user.login === "string"
            ? user.login
            : null,
      authTime: null,
    };
  }
}

/** The configured providers by id. */
export class ProviderRegistry {
  readonly #providers = new Map<string, SocialProvider>();

  constructor(configs: readonly SocialProviderConfig[]) {
    for (const config of configs) this.#providers.set(config.id, new SocialProvider(config));
  }

  get(id: string): SocialProvider | undefined {
    return this.#providers.get(id);
  }

  list(): SocialProvider[] {
    return [...this.#providers.values()];
  }
}
