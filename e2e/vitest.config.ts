import { defineConfig } from "vitest/config";

/** Browser tests: a real Atrium and Debian's chromium; one file at a time. */
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
