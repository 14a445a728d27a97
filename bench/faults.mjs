// The issue-12 sections of `npm run bench`: soak, throughput with N processes, state-change
// latency, member search at scale. run.mjs calls these with its server helpers.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PASSWORD = "bench-violet-kettle-harbour-42";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randomAddress = () =>
  `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join(".")}`;

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export function folderMb(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) bytes += statSync(path).size;
    }
  };
  walk(dir);
  return Math.round(bytes / 1048576);
}

/** One JSON request as the console sends it; returns { status, ms, cookie, body }. */
async function req(base, method, path, { cookie, body, origin } = {}) {
  const headers = { "x-forwarded-for": randomAddress() };
  if (method !== "GET") headers.origin = origin ?? base;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie) headers.cookie = cookie;
  const started = performance.now();
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("atrium_session="));
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, ms, cookie: setCookie?.split(";")[0], body: parsed };
}

async function account(base, tag, origin) {
  const email = `${tag}-${randomBytes(4).toString("hex")}@bench.test`;
  const res = await req(base, "POST", "/auth/sign-up", {
    body: { email, password: PASSWORD, name: "Load Tester" },
    origin,
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, cookie: res.cookie, id: res.body.user.id };
}

// ---------------------------------------------------------------------------------------------
// Soak

/**
 * `seconds` of mixed load: reads, renames, sign-in/sign-out churn, member lists, organizations
 * with invitations by email. Every 10 s: RSS, p99 and req/s of that window; for the embedded
 * database, the data folder's size.
 */
export async function soak({ startServer, stopServer, env, label, seconds, dataDir }) {
  const server = await startServer(env);
  const { base, child } = server;
  let before;
  try {
    const accounts = [];
    for (let i = 0; i < 12; i++) accounts.push(await account(base, `soak${i}`));
    for (const a of accounts) {
      const orgs = await req(base, "GET", "/me/organizations", { cookie: a.cookie });
      a.orgId = orgs.body.items[0]?.organization.id;
    }
    const ops = [
      [55, "GET /me", (a) => req(base, "GET", "/me", { cookie: a.cookie })],
      [
        10,
        "PATCH /me",
        (a) =>
          req(base, "PATCH", "/me", {
            cookie: a.cookie,
            body: { name: `Tester ${Date.now() % 1000}` },
          }),
      ],
      [
        10,
        "members",
        (a) => req(base, "GET", `/organizations/${a.orgId}/members?limit=50`, { cookie: a.cookie }),
      ],
      [
        15,
        "sign-in + sign-out",
        async (a) => {
          const signedIn = await req(base, "POST", "/auth/sign-in", {
            body: { email: a.email, password: PASSWORD },
          });
          if (signedIn.status !== 200) return signedIn;
          const out = await req(base, "POST", "/auth/sign-out", { cookie: signedIn.cookie });
          return { status: out.status, ms: signedIn.ms + out.ms };
        },
      ],
      [
        10,
        "organization + 3 invitations",
        async (a) => {
          const org = await req(base, "POST", "/organizations", {
            cookie: a.cookie,
            body: { name: `Soak ${randomBytes(3).toString("hex")}` },
          });
          if (org.status !== 201) return org;
          const emails = [0, 1, 2].map(
            (i) => `guest${i}-${randomBytes(4).toString("hex")}@bench.test`,
          );
          const inv = await req(base, "POST", `/organizations/${org.body.id}/invitations`, {
            cookie: a.cookie,
            body: { emails, role: "member", delivery: "email" },
          });
          return { status: inv.status, ms: org.ms + inv.ms };
        },
      ],
    ];
    before = dataDir ? folderMb(dataDir) : undefined; // migrated, accounts made: the baseline
    const totalWeight = ops.reduce((s, [w]) => s + w, 0);
    const pick = () => {
      let r = Math.random() * totalWeight;
      for (const op of ops) {
        r -= op[0];
        if (r < 0) return op;
      }
      return ops[0];
    };

    let window = [];
    let reads = [];
    const statuses = {};
    const samples = [];
    const started = Date.now();
    let running = true;
    const sampler = setInterval(() => {
      const lat = window.sort((x, y) => x - y);
      const readLat = reads.sort((x, y) => x - y);
      window = [];
      reads = [];
      samples.push({
        t: Math.round((Date.now() - started) / 1000),
        rssMb: memoryMb(child.pid),
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        readP99: percentile(readLat, 99),
        rps: Math.round(lat.length / 10),
        folderMb: dataDir ? folderMb(dataDir) : undefined,
      });
    }, 10_000);
    const workers = Array.from({ length: 8 }, async (_, w) => {
      while (running) {
        const [, name, run] = pick();
        const a = accounts[(w + Math.floor(Math.random() * accounts.length)) % accounts.length];
        try {
          const res = await run(a);
          window.push(res.ms);
          if (name === "GET /me") reads.push(res.ms);
          const key = `${name} ${res.status}`;
          statuses[key] = (statuses[key] ?? 0) + 1;
        } catch {
          statuses[`${name} error`] = (statuses[`${name} error`] ?? 0) + 1;
          await sleep(100);
        }
      }
    });
    await sleep(seconds * 1000);
    running = false;
    await Promise.all(workers);
    clearInterval(sampler);

    console.log(`\n### soak, ${seconds} s of mixed load (8 workers) — ${label}`);
    console.log(
      `| t s | RSS MiB | req/s | p50 ms | p99 ms | GET /me p99 ms |${dataDir ? " data folder MiB |" : ""}`,
    );
    console.log(`| ---: | ---: | ---: | ---: | ---: | ---: |${dataDir ? " ---: |" : ""}`);
    for (const s of samples) {
      console.log(
        `| ${s.t} | ${s.rssMb} | ${s.rps} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.readP99)} |${dataDir ? ` ${s.folderMb} |` : ""}`,
      );
    }
    console.log(`answers: ${JSON.stringify(statuses)}`);
    if (samples.length >= 2) {
      const first = samples[0];
      const last = samples[samples.length - 1];
      console.log(
        `RSS ${first.rssMb} → ${last.rssMb} MiB; p99 ${fmt(first.p99)} → ${fmt(last.p99)} ms (${(last.p99 / first.p99).toFixed(2)}×, goal ≤ 1.5×); GET /me p99 ${fmt(first.readP99)} → ${fmt(last.readP99)} ms`,
      );
    }
    return { samples, statuses, dataDir };
  } finally {
    await stopServer(child);
    if (dataDir)
      console.log(
        `data folder: ${before} MiB when the load began, ${folderMb(dataDir)} MiB after (server stopped)`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// N processes behind a round-robin proxy

/** bench/round-robin-proxy.mjs in front of `bases`, in a process of its own. */
export async function roundRobin(bases) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("./round-robin-proxy.mjs", import.meta.url)), ...bases],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk) => resolve(Number(String(chunk).trim())));
    child.once("exit", (code) => reject(new Error(`proxy exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      child.removeAllListeners("exit");
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Authenticated GET /me with 1, 2 and 3 processes on one PostgreSQL database behind the proxy. */
export async function processes({
  startServer,
  stopServer,
  env,
  cannon,
  summarise,
  label,
  duration,
}) {
  const publicUrl = "http://atrium.bench";
  const servers = [];
  const rows = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(await startServer({ ...env, PUBLIC_URL: publicUrl }));
    const { cookie } = await account(servers[0].base, "nproc", publicUrl);
    await cannon({ url: `${servers[0].base}/api/v1/me`, headers: { cookie }, duration: 2 });
    rows.push(
      summarise(
        "1 process, direct (no proxy)",
        await cannon({ url: `${servers[0].base}/api/v1/me`, headers: { cookie }, duration }),
        200,
      ),
    );
    for (const n of [1, 2, 3]) {
      const proxy = await roundRobin(servers.slice(0, n).map((s) => s.base));
      try {
        await cannon({ url: `${proxy.url}/api/v1/me`, headers: { cookie }, duration: 2 });
        rows.push(
          summarise(
            `${n} process${n > 1 ? "es" : ""} behind the proxy`,
            await cannon({ url: `${proxy.url}/api/v1/me`, headers: { cookie }, duration }),
            200,
          ),
        );
      } finally {
        await proxy.close();
      }
    }
  } finally {
    for (const s of servers) await stopServer(s.child);
  }
  console.log(`\n### authenticated GET /me with N processes — ${label}`);
  console.log("The proxy, the load generator and the processes share this machine's cores.");
  console.log("| setup | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// State-change latency

/** p50/p99 of sign-out, revoking another session and a name change, one request at a time. */
export async function stateChanges({ startServer, stopServer, env, label, count }) {
  const server = await startServer(env);
  const { base } = server;
  const timings = { "sign-out": [], "revoke a session": [], "name change": [] };
  const statuses = {};
  const note = (name, res, ok) => {
    if (res.status === ok) timings[name].push(res.ms);
    else statuses[`${name} ${res.status}`] = (statuses[`${name} ${res.status}`] ?? 0) + 1;
  };
  try {
    const a = await account(base, "state");
    for (let i = 0; i < count; i++) {
      note(
        "name change",
        await req(base, "PATCH", "/me", { cookie: a.cookie, body: { name: `Tester ${i}` } }),
        200,
      );
      await req(base, "POST", "/auth/sign-in", { body: { email: a.email, password: PASSWORD } });
      const list = await req(base, "GET", "/me/sessions", { cookie: a.cookie });
      const victim = list.body.items.find((s) => !s.current);
      note(
        "revoke a session",
        await req(base, "DELETE", `/me/sessions/${victim.id}`, { cookie: a.cookie }),
        204,
      );
      const session = await req(base, "POST", "/auth/sign-in", {
        body: { email: a.email, password: PASSWORD },
      });
      note("sign-out", await req(base, "POST", "/auth/sign-out", { cookie: session.cookie }), 204);
    }
  } finally {
    await stopServer(server.child);
  }
  console.log(`\n### state-change latency, ${count} of each, one at a time — ${label}`);
  console.log("| request | p50 ms | p99 ms | max ms |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, ms] of Object.entries(timings)) {
    const sorted = ms.sort((x, y) => x - y);
    console.log(
      `| ${name} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 99))} | ${fmt(sorted[sorted.length - 1] ?? 0)} |`,
    );
  }
  if (Object.keys(statuses).length) console.log(`unexpected answers: ${JSON.stringify(statuses)}`);
  return timings;
}

// ---------------------------------------------------------------------------------------------
// Member search at scale

/** SQL: USERS users, every tenth a member of the organization (so USERS / 10 members). */
export const fillSearch = (organizationId, users) => `
  INSERT INTO users (id, email, email_canonical, name, password_hash, created_at, updated_at)
  SELECT 'usr_s' || lpad(g::text, 25, '0'), 'user' || g || '@search.test', 'user' || g || '@search.test',
         'Person ' || g, NULL, now(), now()
  FROM generate_series(1, ${users}) AS g;
  INSERT INTO organization_members (id, organization_id, user_id, role, created_at)
  SELECT 'mem_s' || lpad(g::text, 25, '0'), '${organizationId}', 'usr_s' || lpad(g::text, 25, '0'), 'member', now()
  FROM generate_series(10, ${users}, 10) AS g;
  ANALYZE users; ANALYZE organization_members;`;

/** `?q=` in an organization of USERS / 10 members on an instance of USERS users, req/s. */
export async function memberSearch({
  startServer,
  stopServer,
  env,
  cannon,
  summarise,
  label,
  fill,
  users,
  duration,
}) {
  let server = await startServer(env);
  const owner = await account(server.base, "searcher");
  const orgs = await req(server.base, "GET", "/me/organizations", { cookie: owner.cookie });
  const org = orgs.body.items[0].organization;
  const started = Date.now();
  server = await fill(org.id, server);
  const fillMs = Date.now() - started;
  const rows = [];
  try {
    const cases = [
      ["plain page (no q)", "limit=50"],
      ["q=user4242 (one member)", "limit=50&q=user4242"],
      ["q=son 77 (name, ~100 members)", `limit=50&q=${encodeURIComponent("son 77")}`],
      ["q=nobody (no match)", "limit=50&q=nobody"],
    ];
    for (const [name, query] of cases) {
      const url = `${server.base}/api/v1/organizations/${org.id}/members?${query}`;
      const check = await req(server.base, "GET", `/organizations/${org.id}/members?${query}`, {
        cookie: owner.cookie,
      });
      if (check.status !== 200)
        throw new Error(`${name}: ${check.status} ${JSON.stringify(check.body)}`);
      await cannon({ url, headers: { cookie: owner.cookie }, connections: 10, duration: 2 });
      const result = await cannon({
        url,
        headers: { cookie: owner.cookie },
        connections: 10,
        duration,
      });
      rows.push(summarise(`${name}: ${check.body.items.length} items`, result, 200));
    }
  } finally {
    await stopServer(server.child);
  }
  console.log(
    `\n### member search, ${users / 10} members in an instance of ${users} users — ${label} (filled in ${fillMs} ms, 10 connections)`,
  );
  console.log("| request | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  return rows;
}
