/// <reference path="./untyped-modules.d.ts" />
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** A person with an account at the test provider. */
export interface ProviderAccount {
  sub: string;
  email?: string;
  /** Sent as given: tests also send the string "true", which must not count. */
  email_verified?: unknown;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, ProviderAccount>;
  /** Who logs in at the next interaction, and when they authenticated (seconds; default now). */
  nextLogin: { sub: string; authTime?: number; deny?: boolean } | undefined;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) on a loopback port, inside the test process.
 * Its login page is replaced by `nextLogin`: the interaction finishes at once as that account,
 * and a first-party grant (openid email profile) is given without a consent page.
 */
export async function startOidcProvider(options: {
  /** A function when the client's address is known only later (built at the first request). */
  redirectUris: string[] | (() => string[]);
  /** Show oidc-provider's own login page (any login, any password) instead of `nextLogin`. */
  loginPage?: boolean;
  clientId?: string;
  clientSecret?: string;
  /** Seconds an ID token is valid. */
  idTokenTtl?: number;
}): Promise<TestOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, ProviderAccount>();
  const clientId = options.clientId ?? "atrium-test";
  const clientSecret = options.clientSecret ?? "atrium-test-secret-0123456789";

  const build = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris:
            typeof options.redirectUris === "function"
              ? options.redirectUris()
              : options.redirectUris,
          grant_types: ["authorization_code"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_post",
          // So that every ID token says when the person authenticated.
          require_auth_time: true,
        },
      ],
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
      pkce: { required: () => true },
      // Lifetimes in seconds, said outright (the defaults print a notice each).
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 60,
        Grant: 3600,
        IdToken: options.idTokenTtl ?? 3600,
        Interaction: 600,
        Session: 3600,
      },
      ...(options.loginPage
        ? {}
        : {
            features: { devInteractions: { enabled: false } },
            interactions: {
              url: (_ctx: unknown, interaction: { uid: string }) => `/login/${interaction.uid}`,
            },
          }),
      async findAccount(_ctx: unknown, sub: string) {
        const account = accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: async () => ({ ...account }) };
      },
      // A first-party client: the grant is given without a consent page.
      async loadExistingGrant(ctx: {
        oidc: {
          provider: { Grant: new (init: object) => GrantLike } & {
            Grant: { find(id: string): unknown };
          };
          client: { clientId: string };
          session: { accountId: string; grantIdFor(id: string): string | undefined };
        };
      }) {
        const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (existing) return ctx.oidc.provider.Grant.find(existing);
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope("openid email profile");
        await grant.save();
        return grant;
      },
    });
  // biome-ignore lint/suspicious/noExplicitAny: the untyped library's provider.
  let built: any;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const providerOf = () => {
    built ??= build();
    return built;
  };

  const handle: TestOidcProvider = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    nextLogin: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  server.on("request", async (req: IncomingMessage, res: ServerResponse) => {
    const provider = providerOf();
    if (!options.loginPage && req.url?.startsWith("/login/")) {
      const login = handle.nextLogin;
      if (!login) {
        res.statusCode = 400;
        res.end("no login prepared");
        return;
      }
      await provider.interactionDetails(req, res);
      const result = login.deny
        ? { error: "access_denied", error_description: "The person said no." }
        : { login: { accountId: login.sub, ...(login.authTime ? { ts: login.authTime } : {}) } };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    handler ??= provider.callback() as NonNullable<typeof handler>;
    handler(req, res);
  });
  return handle;
}

interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
