import { afterAll, describe, expect, it } from "vitest";
import { type AtriumProcess, killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { PUBLIC_URL, signUp, TRUST_LOCAL_PROXY } from "./support/http.js";
import { startLoad } from "./support/load.js";
import { type RoundRobin, startRoundRobin } from "./support/round-robin.js";

describe("a rolling restart behind the round-robin proxy", () => {
  let database: FreshDatabase | undefined;
  let proxy: RoundRobin | undefined;

  afterAll(async () => {
    await proxy?.close();
    await killAllAtrium();
    await database?.drop();
  });

  it("restarts each of two processes in turn under load with no failed request", async () => {
    database = await freshDatabase();
    const env = { ...database.env, PUBLIC_URL, ...TRUST_LOCAL_PROXY };
    const processes: AtriumProcess[] = [
      await startAtrium({ name: "A", env }),
      await startAtrium({ name: "B", env }),
    ];
    proxy = await startRoundRobin(processes);
    const { cookie } = await signUp(proxy.url, `rolling-${Date.now()}@example.com`, "Rolling");

    const load = startLoad(proxy.url, cookie, 8);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(1_000);
    for (const process of processes) {
      const before = proxy.counts()[process.name] ?? 0;
      expect(await process.stop(), `${process.name}'s exit`).toEqual({ code: 0, signal: null });
      await process.restart();
      await pause(1_000);
      expect(proxy.counts()[process.name] ?? 0, `${process.name} answers again`).toBeGreaterThan(
        before,
      );
    }
    await load.stop();

    const failed = load.outcomes.filter((o) => o.status !== 200);
    expect(load.outcomes.length).toBeGreaterThan(100);
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
  });
});
