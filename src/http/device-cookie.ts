import type { FastifyReply, FastifyRequest } from "fastify";
import type { IssuedDevice } from "../accounts/known-devices.js";
import type { Config } from "../config.js";

/** Named like the session cookie: the __Host- prefix over https keeps subdomains from planting it. */
function deviceCookieName(config: Config): string {
  return config.secureCookies ? "__Host-atrium_device" : "atrium_device";
}

/** The device cookie the browser sent, if any: it says "this browser signed in here before". */
export function deviceCookieOf(request: FastifyRequest, config: Config): string | undefined {
  return request.cookies[deviceCookieName(config)];
}

/**
 * HttpOnly, SameSite=Lax, Path=/, no Domain; Secure with the __Host- prefix over https. It
 * outlives sessions on purpose: it only exempts the browser from the per-account sign-in
 * limit, it authenticates nothing.
 */
export function setDeviceCookie(
  reply: FastifyReply,
  config: Config,
  device: IssuedDevice,
  now: Date,
): void {
  reply.setCookie(deviceCookieName(config), device.token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: config.secureCookies,
    maxAge: Math.max(0, Math.floor((device.expiresAt.getTime() - now.getTime()) / 1000)),
  });
}
