import type { TestDatabase } from "../../support/test-database.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

/** The same PostgreSQL URL, through `proxy`. */
export function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = proxy.host;
  url.port = String(proxy.port);
  return url.href;
}

/** A TCP proxy in front of this test database's server. */
export function proxyFor(databaseUrl: string): Promise<TcpProxy> {
  const url = new URL(databaseUrl);
  return startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
}

/**
 * `database` as an in-process test app opens it (startTestApp's `database` option), but every
 * connection goes through `proxy`, with the given timeouts.
 */
export function behindProxy(
  database: TestDatabase,
  proxy: TcpProxy,
  timeouts?: { statementTimeoutMs?: number; connectTimeoutMs?: number },
): TestDatabase {
  return {
    ...database,
    open: () => database.open({ databaseUrl: throughProxy(database.url!, proxy), timeouts }),
  };
}

/** The client port of a process's LISTEN connection as PostgreSQL sees it (pg_stat_activity). */
export const LISTENER_PORTS_SQL = `SELECT client_port FROM pg_stat_activity
  WHERE datname = current_database() AND application_name = 'atrium-listener'`;
