import { defineConfig } from "vitest/config";

/**
 * Browser tests: a real Atrium and Debian's chromium, one file at a time. With SCREENSHOTS=1
 * (`npm run screenshots`), only the screenshot run.
 */
export default defineConfig({
  test: {
    include: process.env.SCREENSHOTS ? ["e2e/screenshots.ts"] : ["e2e/**/*.e2e.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
