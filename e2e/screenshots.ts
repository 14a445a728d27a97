import { mkdirSync } from "node:fs";
import { it } from "vitest";
import { SIGNED_IN_PAGES, SIGNED_OUT_PAGES, signedInPath } from "./pages.js";
import { DESKTOP, PHONE, person, signIn, signUp, startAtrium } from "./support.js";

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
      // The sign-in form refusing: field errors, then the API's answer.
      await page.goto("/");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("Enter your email address.").waitFor();
      await page.screenshot({
        path: name("/sign-in-field-errors", viewport.width),
        fullPage: true,
      });
      await page.getByLabel("Email").fill("nobody@example.com");
      await page.getByLabel("Password").fill("wrong password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").waitFor();
      await page.screenshot({ path: name("/sign-in-refused", viewport.width), fullPage: true });

      const ada = person("Ada Lovelace");
      await signUp(page, ada);
      const home = page.url();
      for (const path of SIGNED_IN_PAGES) {
        await page.goto(signedInPath(path, home));
        await page.getByRole("heading", { level: 1 }).waitFor();
        await page.waitForLoadState("networkidle");
        await page.screenshot({
          path: name(path.replace("{org}", "org"), viewport.width),
          fullPage: true,
        });
      }
      await page.goto("/account/access");
      await page.getByRole("button", { name: "Create API key" }).click();
      await page.getByLabel("Name").fill("Deploy script");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("dialog", { name: "Your new API key" }).waitFor();
      await page.screenshot({ path: name("/api-key-dialog", viewport.width) });
      await page.getByRole("button", { name: "Done" }).click();
      await page.getByRole("button", { name: "Revoke Deploy script" }).waitFor();
      await page.screenshot({
        path: name("/account_access-with-key", viewport.width),
        fullPage: true,
      });

      // A second device, to see a Revoke button, and an email change waiting for its link.
      const elsewhere = await atrium.context();
      const there = await elsewhere.newPage();
      await signIn(there, ada);
      await there.waitForURL(/\/o\/[^/]+$/);
      await page.goto("/account/sessions");
      await page.getByRole("button", { name: /^Revoke / }).waitFor();
      await page.screenshot({
        path: name("/account_sessions-two-devices", viewport.width),
        fullPage: true,
      });
      await elsewhere.close();
      await page.goto("/account/profile");
      await page.getByLabel("New email").fill(`new-${ada.email}`);
      await page.getByRole("button", { name: "Change email" }).click();
      await page.getByRole("button", { name: "Cancel change" }).waitFor();
      await page.reload();
      await page.getByRole("button", { name: "Cancel change" }).waitFor();
      await page.screenshot({
        path: name("/account_profile-pending-email", viewport.width),
        fullPage: true,
      });

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
