import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { call, eventually, PUBLIC_URL } from "./support/http.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

describe("the fault harness on PostgreSQL", () => {
  let database: FreshDatabase | undefined;
  let proxy: TcpProxy | undefined;

  afterEach(async () => {
    await killAllAtrium();
    await proxy?.close();
    await database?.drop();
  });

  it("puts a TCP proxy between Atrium and PostgreSQL whose connections match pg_stat_activity", async () => {
    database = await freshDatabase();
    const direct = new URL(database.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct.href);
    viaProxy.hostname = proxy.host;
    viaProxy.port = String(proxy.port);
    const atrium = await startAtrium({ env: { DATABASE_URL: viaProxy.href, PUBLIC_URL } });
    expect((await call(atrium.url, "GET", "/readyz")).status).toBe(200);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const listener = await eventually("the LISTEN connection", async () => {
        const { rows } = await client.query<{ client_port: number }>(
          "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        );
        return rows[0];
      });
      const ports = proxy.connections().map((c) => c.upstreamLocalPort);
      expect(ports).toContain(listener.client_port);
    } finally {
      await client.end();
    }

    proxy.refuse(true);
    proxy.cut();
    expect(proxy.connections()).toEqual([]);
    const during = await call(atrium.url, "GET", "/readyz", { timeoutMs: 30_000 });
    expect(during.status).toBe(503);
    proxy.refuse(false);
    await eventually("/readyz 200 again", async () =>
      (await call(atrium.url, "GET", "/readyz")).status === 200 ? true : undefined,
    );
  });
});
