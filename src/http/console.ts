import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

/**
 * Where `vite build` puts the console: dist/console, from src/http (tests) and dist/http alike.
 */
export const CONSOLE_DIR = fileURLToPath(new URL("../../dist/console/", import.meta.url));

/**
 * The two small <style> elements that react-aria adds at run time (touch-action on pressable
 * elements, overscroll while a toast is swiped), allowed by their exact content. The browser
 * tests fail on any CSP violation, so a library upgrade that changes them is caught.
 */
const REACT_ARIA_STYLES = [
  "'sha256-38RhXrc7EdReTKsOm23ZPOCUgniTUUcjky8QOOrQx6o='",
  "'sha256-gYiS/BvZvRcK27JIXTuwhZ3hs2+VJ1X+2gUlE+farlg='",
];

/**
 * The console page's policy: only this origin's scripts and styles (no inline script, no
 * 'unsafe-inline' style), API calls to this origin only, never framed. Style attributes that
 * React sets through the DOM are not inline markup, so they need no exception.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' ${REACT_ARIA_STYLES.join(" ")}`,
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The console's own addresses (its router's routes, as Fastify patterns): these GETs answer with
 * the page, so that deep links load the app. Anything else stays the API's, a JSON 404 included.
 */
export const CONSOLE_ROUTES = [
  "/",
  "/sign-up",
  "/forgot-password",
  "/reset-password",
  "/verify-email",
  "/social-error",
  "/invite/:token",
  "/home",
  "/welcome",
  "/o/:slug",
  "/o/:slug/*",
  "/account",
  "/account/*",
];

/** Whether a registered route (as `printRoutes` shows it) is the console's rather than the API's. */
export function isConsoleRoute(path: string): boolean {
  const shape = (url: string) => url.replace(/\{(\w+)\}/g, ":$1").replace(/\/?\*$/, "");
  return (
    path.startsWith("/assets/") || CONSOLE_ROUTES.some((route) => shape(route) === shape(path))
  );
}

/**
 * Serves the web console: the hashed files under /assets/ cached for ever, and the page itself
 * at the console's addresses, where the app routes in the browser. Without a built console
 * (`npm run build`), the page says how to build it. Nothing here needs a session.
 */
export async function registerConsole(
  app: FastifyInstance,
  dir: string = CONSOLE_DIR,
): Promise<void> {
  const indexPath = `${dir}/index.html`;
  const html = existsSync(indexPath)
    ? readFileSync(indexPath, "utf8")
    : "<!doctype html><title>Atrium</title><p>The web console is not built: run npm run build.</p>";

  await app.register(async (scope) => {
    scope.addHook("onRoute", (route) => {
      route.config = { ...(route.config as object), public: true };
    });

    if (existsSync(`${dir}/assets`)) {
      await scope.register(fastifyStatic, {
        root: `${dir}/assets`,
        prefix: "/assets/",
        // Each file is a route of its own, so a missing asset falls to the JSON 404.
        wildcard: false,
        index: false,
        // The names carry a content hash: a changed file is a new name.
        immutable: true,
        maxAge: "365d",
        setHeaders: (res) => {
          res.setHeader("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
        },
      });
    }

    const sendPage = (reply: FastifyReply) =>
      reply
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-security-policy", CONSOLE_CSP)
        .send(html);
    for (const url of CONSOLE_ROUTES) {
      scope.get(url, { schema: { hide: true } }, async (_request, reply) => sendPage(reply));
    }
  });
}
