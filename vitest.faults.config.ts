import { defineConfig } from "vitest/config";

/**
 * The fault tests (`npm run test:faults`): real `atrium serve` processes killed, cut off and
 * restarted. Files named `*.postgres.test.ts` are about several processes or a database
 * server's outages, which the embedded database (one process's database) does not have: they
 * run only when DATABASE_URL is set, and are left out, not skipped, otherwise.
 */
const onPostgres = Boolean(process.env.DATABASE_URL);

export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    exclude: onPostgres ? [] : ["test/faults/**/*.postgres.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // Files start and kill whole processes: one at a time, so timings mean something.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
