import type { IncomingMessage } from "node:http";
import pino, { type Logger } from "pino";

// Tokens (43 base64url characters) and API keys are longer than any id (30 characters):
// anything that long in a URL is treated as a secret.
// A path inside a query value arrives percent-encoded (`returnTo=%2Finvite%2F<token>`), so
// an encoded slash counts as a separator too.
const SECRET_IN_URL = /([/=]|%2F)(atr_)?[A-Za-z0-9_-]{32,}/gi;

// An OAuth callback's code and state are secrets of any length (GitHub's codes are 20 characters).
const OAUTH_SECRET_IN_URL = /([?&](?:code|state)=)[^&#]*/g;

/** A URL with every token-like segment and query value replaced, fit for a log line. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_IN_URL, "$1[redacted]").replace(OAUTH_SECRET_IN_URL, "$1[redacted]");
}

/** The application's logger: JSON lines, and no password, token, cookie or key in any of them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          "req.headers.cookie",
          "req.headers.authorization",
          'res.headers["set-cookie"]',
          "*.password",
          "*.currentPassword",
          "*.newPassword",
          "*.token",
          "*.secret",
        ],
        censor: "[redacted]",
      },
      serializers: {
        req(request: IncomingMessage & { id?: string; ip?: string }) {
          return {
            method: request.method,
            url: redactUrl(request.url ?? ""),
            remoteAddress: request.ip ?? request.socket?.remoteAddress,
          };
        },
        // Database errors carry the failed query's parameters, which may hold a token: dropped.
        err(error: unknown) {
          // Anything but an error (a reason string) is logged as it is: spreading a string
          // would turn its characters into numbered fields.
          if (typeof error !== "object" || error === null) return error;
          const { params, parameters, query, ...rest } = pino.stdSerializers.err(
            error as Error,
          ) as ReturnType<typeof pino.stdSerializers.err> & {
            params?: unknown;
            parameters?: unknown;
            query?: unknown;
          };
          return rest;
        },
      },
    },
    destination,
  );
}
