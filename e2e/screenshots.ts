import { mkdirSync } from "node:fs";
import { it } from "vitest";
import { SIGNED_IN_PAGES, SIGNED_OUT_PAGES } from "./pages.js";
import { DESKTOP, PHONE, person, signUp, startAtrium } from "./support.js";

/** `npm run screenshots`: a PNG of every page at desktop width and at 390 px, in screenshots/. */
it("writes a screenshot of every page at both widths", async () => {
  const atrium = await startAtrium();
  mkdirSync("screenshots", { recursive: true });
  const name = (path: string, width: number) =>
    `screenshots/${path.replace(/\?.*$/, "").replace(/\//g, "_") || "_"}-${width}.png`;
  try {
    for (const viewport of [DESKTOP, PHONE]) {
      const context = await atrium.context(viewport);
      const page = await context.newPage();
      for (const path of SIGNED_OUT_PAGES) {
        await page.goto(path);
        await page.getByRole("heading", { level: 1 }).waitFor();
        await page.screenshot({
          path: name(path === "/" ? "/sign-in" : path, viewport.width),
          fullPage: true,
        });
      }
      await signUp(page, person("Ada Lovelace"));
      for (const path of SIGNED_IN_PAGES) {
        await page.goto(path);
        await page.getByRole("heading", { level: 1 }).waitFor();
        await page.waitForLoadState("networkidle");
        await page.screenshot({ path: name(path, viewport.width), fullPage: true });
      }
      await page
        .getByRole("button", { name: /Ada Lovelace/ })
        .last()
        .click();
      await page.screenshot({ path: name("/account-menu", viewport.width) });
      await context.close();
    }
  } finally {
    await atrium.close();
  }
}, 120_000);
