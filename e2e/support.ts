import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { SMTPServer } from "smtp-server";
import { type AtriumApp, buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH for another one. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

interface Mail {
  to: string;
  text: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Undoes quoted-printable soft breaks and escapes, enough to read links out of a message. */
function readable(raw: string): string {
  return raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** A test SMTP server that keeps every message it is given. */
async function startMailServer() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        raw += chunk;
      });
      stream.on("end", () => {
        for (const to of session.envelope.rcptTo) {
          mails.push({ to: to.address.toLowerCase(), text: readable(raw) });
        }
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    mails,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Atrium {
  url: string;
  browser: Browser;
  /** The server's own database, for seeding what a test needs in bulk (10,000 members). */
  db: AtriumApp["deps"]["db"];
  /** A fresh browser profile (own cookies) at the given width. */
  context(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  /** The newest link to `path` mailed to `address`, waiting for the outbox to deliver it. */
  link(address: string, path: "verify-email" | "reset-password" | "invite"): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real Atrium on a fresh embedded database in a temporary folder, on a free port, sending its
 * mail to a test SMTP server, and a headless chromium to drive it.
 */
export async function startAtrium(env: Record<string, string> = {}): Promise<Atrium> {
  const dataDir = mkdtempSync(join(tmpdir(), "atrium-e2e-"));
  const mail = await startMailServer();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: url,
    ATRIUM_DATA_DIR: dataDir,
    SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
    LOG_LEVEL: "warn",
    ...env,
  });
  const app = await buildApp({ config });
  await app.listen({ port, host: "127.0.0.1" });
  const browser = await chromium.launch({ executablePath: CHROMIUM });

  return {
    url,
    browser,
    db: app.deps.db,
    context: (viewport = DESKTOP) => browser.newContext({ viewport, baseURL: url }),
    async link(address, path) {
      const pattern =
        path === "invite"
          ? new RegExp(`${url}/invite/[A-Za-z0-9_-]+`)
          : new RegExp(`${url}/${path}\\?token=[A-Za-z0-9_-]+`);
      for (let attempt = 0; attempt < 100; attempt++) {
        const found = [...mail.mails]
          .reverse()
          .find((m) => m.to === address.toLowerCase() && pattern.test(m.text));
        if (found) return pattern.exec(found.text)![0];
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no ${path} link was mailed to ${address}`);
    },
    async close() {
      await browser.close();
      await app.close();
      await mail.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A new person, with an address no other test uses. */
export function person(name = "Ada Lovelace") {
  counter += 1;
  return {
    name,
    email: `person${counter}-${Date.now()}@example.com`,
    password: "correct horse battery staple",
  };
}

export async function signUp(page: Page, who: ReturnType<typeof person>): Promise<void> {
  await page.goto("/sign-up");
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/o\/[^/]+$/);
}

/**
 * A new person signs up on an invitation's page (the address filled in and fixed) and lands in
 * the organization it invites them to.
 */
export async function signUpFromInvitation(
  page: Page,
  link: string,
  who: { name: string; password: string },
): Promise<void> {
  await page.goto(link);
  await page.getByRole("heading", { name: /^Join / }).waitFor();
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/o\/[^/]+$/);
}

/** The slug of the organization the page is in (`/o/{slug}/…`). */
export function slugOf(page: Page): string {
  return new URL(page.url()).pathname.split("/")[2] ?? "";
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/");
  await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** WCAG 2.2 AA violations (colour contrast included) on the page as it is now. */
export async function axeViolations(page: Page) {
  // react-aria's Button says "pending" through a live element (role=img, labelled by the button)
  // that outlives the button by a few seconds: once the button is gone, the label points at
  // nothing. It is the announcement finishing, not the page; wait for it to go.
  await page
    .waitForFunction(
      () =>
        [...document.querySelectorAll('[role="img"][aria-labelledby]')].every((node) =>
          (node.getAttribute("aria-labelledby") ?? "")
            .split(" ")
            .every((id) => document.getElementById(id)),
        ),
      undefined,
      { timeout: 10_000 },
    )
    .catch(() => undefined);
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  return results.violations.map((v) => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}
