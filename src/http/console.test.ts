import { describe, expect, it } from "vitest";
import { startTestApp } from "../../test/support/test-app.js";
import { CONSOLE_CSP } from "./console.js";

const t = await startTestApp();

/** The hashed script the page loads (needs `npm run build`, which `pretest` runs). */
async function scriptPath(): Promise<string> {
  const page = await t.app.inject({ method: "GET", url: "/" });
  const match = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(page.body);
  if (!match?.[1]) throw new Error(`no script in the console page: ${page.body}`);
  return match[1];
}

describe("the web console", () => {
  it("is served at / as a page that is never stored, with a strict policy", async () => {
    const response = await t.app.inject({ method: "GET", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("no-store");
    const csp = response.headers["content-security-policy"];
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers["x-frame-options"]).toBe("DENY");
    // No inline script: every script comes from a file.
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it.each([
    "/o/acme/members",
    "/account/sessions",
    "/invite/abc123",
    "/reset-password?token=abc",
    "/verify-email?token=abc",
    "/sign-up",
  ])("loads the app for the deep link %s, signed out", async (url) => {
    const response = await t.app.inject({ method: "GET", url });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.body).toContain('<div id="root">');
  });

  it("caches the hashed assets for ever", async () => {
    const response = await t.app.inject({ method: "GET", url: await scriptPath() });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/javascript/);
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("answers a missing asset with the JSON 404, not the page", async () => {
    const response = await t.app.inject({ method: "GET", url: "/assets/missing-0000.js" });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("not_found");
  });

  it("keeps the API's JSON answers, an unknown API path included", async () => {
    const unknown = await t.app.inject({ method: "GET", url: "/api/v1/no-such-thing" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/application\/json/);
    expect(unknown.json().error.code).toBe("not_found");

    const bare = await t.app.inject({ method: "GET", url: "/api" });
    expect(bare.statusCode).toBe(404);
    expect(bare.json().error.code).toBe("not_found");

    const me = await t.app.inject({ method: "GET", url: "/api/v1/me" });
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe("unauthenticated");

    for (const url of ["/healthz", "/readyz"]) {
      const response = await t.app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: "ok" });
    }
    const metrics = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.headers["content-type"]).not.toMatch(/text\/html/);
  });

  it("does not answer other methods with the page", async () => {
    const response = await t.app.inject({ method: "POST", url: "/account/sessions", payload: {} });
    expect(response.statusCode).toBe(405);
    expect(response.json().error.code).toBe("method_not_allowed");
  });

  it("stays out of the OpenAPI document", async () => {
    const document = (await t.app.inject({ method: "GET", url: "/api/v1/openapi.json" })).json();
    expect(Object.keys(document.paths)).not.toContain("/");
    expect(Object.keys(document.paths)).not.toContain("/*");
    expect(Object.keys(document.paths).some((path) => path.startsWith("/assets"))).toBe(false);
  });
});
