import { createConnection, createServer, type Socket } from "node:net";

export interface ProxiedConnection {
  id: number;
  /** The proxy's local port towards the target: pg_stat_activity.client_port on PostgreSQL. */
  upstreamLocalPort: number;
  openedAt: number;
  frozen: boolean;
}

/** Stands between Atrium and PostgreSQL (or SMTP) on 127.0.0.1, and breaks the link on demand. */
export interface TcpProxy {
  readonly port: number;
  readonly host: string;
  /** Destroys every open connection now (RST on both sides). */
  cut(): void;
  /** While on, new connections are destroyed at once. */
  refuse(on: boolean): void;
  /**
   * Stops forwarding bytes both ways, without FIN or RST: a half-open link as a NAT or firewall
   * leaves it. (The proxy's own sockets still answer TCP keepalive probes, so only an
   * application-level heartbeat can notice; cut() afterwards models the idle timeout's RST.)
   * Without a filter every open connection is frozen, and so is every new one until thaw().
   */
  freeze(filter?: (c: ProxiedConnection) => boolean): void;
  thaw(): void;
  /** The open connections. */
  connections(): ProxiedConnection[];
  close(): Promise<void>;
}

interface Link {
  info: ProxiedConnection;
  client: Socket;
  upstream: Socket;
  pending: { toUpstream: Buffer[]; toClient: Buffer[] };
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Map<number, Link>();
  let refusing = false;
  let freezeAll = false;
  let nextId = 1;

  function destroy(link: Link) {
    links.delete(link.info.id);
    link.client.resetAndDestroy();
    link.upstream.resetAndDestroy();
  }

  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port });
    const link: Link = {
      info: { id: nextId++, upstreamLocalPort: 0, openedAt: Date.now(), frozen: freezeAll },
      client,
      upstream,
      pending: { toUpstream: [], toClient: [] },
    };
    links.set(link.info.id, link);
    upstream.on("connect", () => {
      link.info.upstreamLocalPort = upstream.localPort ?? 0;
    });
    // Bytes are forwarded by hand (not pipe) so that a frozen link holds them back silently.
    client.on("data", (chunk: Buffer) => {
      if (link.info.frozen) link.pending.toUpstream.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (link.info.frozen) link.pending.toClient.push(chunk);
      else client.write(chunk);
    });
    const end = (other: Socket) => () => {
      if (link.info.frozen) return; // a frozen link passes nothing on, not even a FIN
      other.end();
    };
    client.on("end", end(upstream));
    upstream.on("end", end(client));
    const close = () => {
      if (!links.has(link.info.id)) return;
      if (link.info.frozen) return;
      destroy(link);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    port,
    host: "127.0.0.1",
    cut() {
      for (const link of [...links.values()]) destroy(link);
    },
    refuse(on) {
      refusing = on;
    },
    freeze(filter) {
      if (!filter) freezeAll = true;
      for (const link of links.values()) {
        if (!filter || filter(link.info)) link.info.frozen = true;
      }
    },
    thaw() {
      freezeAll = false;
      for (const link of [...links.values()]) {
        if (!link.info.frozen) continue;
        link.info.frozen = false;
        for (const chunk of link.pending.toUpstream.splice(0)) link.upstream.write(chunk);
        for (const chunk of link.pending.toClient.splice(0)) link.client.write(chunk);
        if (link.client.destroyed || link.upstream.destroyed) destroy(link);
      }
    },
    connections() {
      return [...links.values()].map((link) => ({ ...link.info }));
    },
    async close() {
      for (const link of [...links.values()]) destroy(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
