import type { FastifyReply } from "fastify";
import type { Config } from "../config.js";
import type { IssuedSession } from "../sessions/sessions.service.js";

/**
 * HttpOnly, SameSite=Lax, Path=/, no Domain; Secure with the __Host- prefix over https. Its
 * Max-Age never outlives the session on the server.
 */
export function setSessionCookie(
  reply: FastifyReply,
  config: Config,
  session: IssuedSession,
  now: Date,
): void {
  const maxAge = Math.max(0, Math.floor((session.expiresAt.getTime() - now.getTime()) / 1000));
  reply.setCookie(config.sessionCookieName, session.token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: config.secureCookies,
    maxAge,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(config.sessionCookieName, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: config.secureCookies,
  });
}
