import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface TestGitHub {
  /** ATRIUM_GITHUB_BASE_URL: the OAuth pages and token endpoint. */
  baseUrl: string;
  /** ATRIUM_GITHUB_API_URL: the REST API (/user, /user/emails). */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  users: Map<number, GitHubUser>;
  /** Who approves at the next authorization, or a refusal. */
  nextLogin: { id: number } | { deny: true } | undefined;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
};

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * A loopback server speaking GitHub's documented OAuth app endpoints: the authorize redirect,
 * `POST /login/oauth/access_token` (which answers errors with HTTP 200 and an `error` field, as
 * GitHub does), and the API's `GET /user` and `GET /user/emails`.
 */
export async function startGitHub(redirectUri: string): Promise<TestGitHub> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const codes = new Map<string, { userId: number; challenge: string | null; used: boolean }>();
  const tokens = new Map<string, number>();
  const handle: TestGitHub = {
    baseUrl,
    apiUrl: `${baseUrl}/api`,
    clientId: "Iv1.testclient",
    clientSecret: "github-test-secret-0123456789",
    users: new Map(),
    nextLogin: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  server.on("request", async (req, res) => {
    const url = new URL(req.url ?? "/", baseUrl);
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const target = new URL(url.searchParams.get("redirect_uri") ?? "");
      if (target.href !== redirectUri || url.searchParams.get("client_id") !== handle.clientId) {
        res.statusCode = 400;
        res.end("redirect_uri mismatch");
        return;
      }
      const state = url.searchParams.get("state");
      const login = handle.nextLogin;
      if (!login || "deny" in login) {
        target.searchParams.set("error", "access_denied");
        target.searchParams.set(
          "error_description",
          "The user has denied your application access.",
        );
      } else {
        const code = randomBytes(10).toString("hex");
        codes.set(code, {
          userId: login.id,
          challenge: url.searchParams.get("code_challenge"),
          used: false,
        });
        target.searchParams.set("code", code);
      }
      if (state) target.searchParams.set("state", state);
      res.statusCode = 302;
      res.setHeader("location", target.href);
      res.end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = await formOf(req);
      if (
        form.get("client_id") !== handle.clientId ||
        form.get("client_secret") !== handle.clientSecret
      ) {
        json(res, 200, {
          error: "incorrect_client_credentials",
          error_description: "The client_id and/or client_secret passed are incorrect.",
        });
        return;
      }
      const grant = codes.get(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (!grant || grant.used || (grant.challenge && grant.challenge !== challenge)) {
        json(res, 200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
          error_uri: "https://docs.github.com/apps/troubleshooting",
        });
        return;
      }
      grant.used = true;
      const token = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(token, grant.userId);
      json(res, 200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
      return;
    }
    const bearer = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const user = handle.users.get(tokens.get(bearer ?? "") ?? -1);
    if (req.method === "GET" && url.pathname.startsWith("/api/")) {
      if (!user) {
        json(res, 401, { message: "Bad credentials" });
        return;
      }
      if (url.pathname === "/api/user") {
        const primary = user.emails.find((e) => e.primary);
        json(res, 200, { id: user.id, login: user.login, name: user.name, email: primary?.email });
        return;
      }
      if (url.pathname === "/api/user/emails") {
        json(
          res,
          200,
          user.emails.map((e) => ({ ...e, visibility: e.primary ? "private" : null })),
        );
        return;
      }
    }
    json(res, 404, { message: "Not Found" });
  });
  return handle;
}
