// npm run bench: starts Atrium (the built dist/) as a real server process and measures it
// with autocannon, on the embedded database and, when reachable, on PostgreSQL.
//
//   BENCH_DURATION=10        seconds per measurement
//   BENCH_CONNECTIONS=50     concurrent connections
//   BENCH_DATABASE_URL=…     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test);
//                            a fresh database is created on it and dropped afterwards
//   BENCH_ONLY=pglite|postgres
//   BENCH_SECTIONS=api,members,export,soak,processes,state,search   (or as arguments:
//                            `npm run bench -- soak state`); default: all of them
//   BENCH_SOAK_SECONDS=600   length of the soak, per database
//   BENCH_STATE_COUNT=50     state changes of each kind
//   BENCH_SEARCH_USERS=100000  users in the instance for member search (a tenth are members)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { fillSearch, memberSearch, processes, soak, stateChanges } from "./faults.mjs";

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PG_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const PASSWORD = "bench-violet-kettle-harbour-42";
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const STATE_COUNT = Number(process.env.BENCH_STATE_COUNT ?? 50);
const SEARCH_USERS = Number(process.env.BENCH_SEARCH_USERS ?? 100_000);
const ALL_SECTIONS = ["api", "members", "export", "soak", "processes", "state", "search"];
const SECTIONS = (
  process.argv.slice(2).join(",") ||
  process.env.BENCH_SECTIONS ||
  ALL_SECTIONS.join(",")
)
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of SECTIONS) {
  if (!ALL_SECTIONS.includes(s)) {
    console.error(`unknown bench section "${s}" (sections: ${ALL_SECTIONS.join(", ")})`);
    process.exit(2);
  }
}
const on = (section) => SECTIONS.includes(section);

function startServer(env) {
  return new Promise((resolve, reject) => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, ["dist/cli/atrium.js", "serve"], {
      // Behind a (simulated) proxy, so the burst can come from many client addresses as it
      // would in production, instead of tripping the per-address sign-in limit of one.
      env: {
        ...process.env,
        PORT: String(port),
        // The origin the benchmark's requests come from (state-changing requests are checked).
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: "warn",
        ATRIUM_TRUST_PROXY: "true",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${output}`)));
    const base = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const poll = async () => {
      try {
        const res = await fetch(`${base}/readyz`);
        if (res.ok) return resolve({ base, child });
      } catch {}
      if (Date.now() - started > 60_000)
        return reject(new Error(`server did not start: ${output}`));
      setTimeout(poll, 200);
    };
    poll();
  });
}

async function stopServer(child) {
  child.removeAllListeners("exit");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

const randomAddress = () =>
  `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join(".")}`;

async function signUp(base, email) {
  const res = await fetch(`${base}/api/v1/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": randomAddress() },
    body: JSON.stringify({ email, name: "Bench User", password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  return res.headers.get("set-cookie").split(";")[0];
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

function summarise(name, result, expectStatus) {
  const statusOk = result[`${Math.floor(expectStatus / 100)}xx`] ?? 0;
  return {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors:
      result.errors + result.timeouts + (result.non2xx && expectStatus < 300 ? result.non2xx : 0),
    expected: statusOk,
  };
}

async function measure(label, env) {
  const { base, child } = await startServer(env);
  try {
    const cookie = await signUp(base, `bench-${randomBytes(4).toString("hex")}@example.com`);
    // Warm up: JIT, caches, connection pools.
    await cannon({ url: `${base}/api/v1/me`, headers: { cookie }, duration: 3 });

    const rows = [];
    rows.push(
      summarise(
        "hello-world ceiling (GET /healthz)",
        await cannon({ url: `${base}/healthz` }),
        200,
      ),
    );
    rows.push(
      summarise(
        "GET /api/v1/me with a session",
        await cannon({ url: `${base}/api/v1/me`, headers: { cookie } }),
        200,
      ),
    );
    rows.push(
      summarise(
        "GET /api/v1/me without a session (401)",
        await cannon({ url: `${base}/api/v1/me` }),
        401,
      ),
    );
    const key = await fetch(`${base}/api/v1/me/api-keys`, {
      method: "POST",
      headers: { cookie, origin: base, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench" }),
    }).then((r) => r.json());
    const bearer = { authorization: `Bearer ${key.secret}` };
    await cannon({ url: `${base}/api/v1/me`, headers: bearer, duration: 2 });
    rows.push(
      summarise(
        "GET /api/v1/me with an API key",
        await cannon({ url: `${base}/api/v1/me`, headers: bearer }),
        200,
      ),
    );

    // A burst of sign-ins (argon2id is deliberately slow) while signed-in traffic goes on.
    const burstEmails = Array.from(
      { length: 24 },
      (_, i) => `burst-${i}-${randomBytes(4).toString("hex")}@example.com`,
    );
    for (const email of burstEmails) await signUp(base, email);
    const background = cannon({
      url: `${base}/api/v1/me`,
      headers: { cookie },
      connections: 10,
      duration: 8,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const burstStarted = Date.now();
    const outcomes = {};
    const signIns = Array.from({ length: 120 }, async (_, i) => {
      const res = await fetch(`${base}/api/v1/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": randomAddress() },
        body: JSON.stringify({ email: burstEmails[i % burstEmails.length], password: PASSWORD }),
      });
      outcomes[res.status] = (outcomes[res.status] ?? 0) + 1;
    });
    await Promise.all(signIns);
    const burstMs = Date.now() - burstStarted;
    const during = await background;
    const burst = {
      signIns: 120,
      outcomes,
      burstMs,
      p50: during.latency.p50,
      p99: during.latency.p99,
      rps: Math.round(during.requests.average),
    };
    return { label, rows, burst };
  } finally {
    await stopServer(child);
  }
}

// 100,000 members straight into the tables (the API would take hours of argon2 to get there).
const fillMembers = (organizationId) => `
  INSERT INTO users (id, email, email_canonical, name, password_hash, created_at, updated_at)
  SELECT 'usr_' || lpad(g::text, 26, '0'), 'member' || g || '@bench.test', 'member' || g || '@bench.test',
         'Member ' || g, NULL, now(), now()
  FROM generate_series(1, ${MEMBERS}) AS g;
  INSERT INTO organization_members (id, organization_id, user_id, role, created_at)
  SELECT 'mem_' || lpad(g::text, 26, '0'), '${organizationId}', 'usr_' || lpad(g::text, 26, '0'),
         CASE WHEN g % 10 = 0 THEN 'admin' ELSE 'member' END, now()
  FROM generate_series(1, ${MEMBERS}) AS g;
  ANALYZE users; ANALYZE organization_members;`;

/** The members list of an organization with MEMBERS members: the first page, a deep page, a filter, a search. */
async function measureMembers(label, env, fill) {
  let server = await startServer(env);
  const cookie = await signUp(server.base, `owner-${randomBytes(4).toString("hex")}@example.com`);
  const mine = await (
    await fetch(`${server.base}/api/v1/me/organizations`, { headers: { cookie } })
  ).json();
  const org = mine.items[0].organization;
  const started = Date.now();
  server = await fill(org.id, server);
  const fillMs = Date.now() - started;
  try {
    const deepCursor = `mem_${String(MEMBERS - 100).padStart(26, "0")}`;
    const cases = [
      ["first page (limit 50)", `/members?limit=50`],
      [`deep page (after member ${MEMBERS - 100})`, `/members?limit=50&cursor=${deepCursor}`],
      ["role=admin, deep page", `/members?limit=50&role=admin&cursor=${deepCursor}`],
      ["search q=member12345", `/members?limit=50&q=member12345`],
    ];
    const rows = [];
    for (const [name, path] of cases) {
      const url = `${server.base}/api/v1/organizations/${org.slug}${path}`;
      const check = await fetch(url, { headers: { cookie } });
      if (check.status !== 200) throw new Error(`${name}: ${check.status} ${await check.text()}`);
      const page = await check.json();
      const result = await cannon({
        url,
        headers: { cookie },
        connections: 10,
        duration: Math.max(3, Math.round(DURATION / 2)),
      });
      rows.push({ ...summarise(`${name}: ${page.items.length} items`, result, 200) });
    }
    return { label, rows, fillMs };
  } finally {
    await stopServer(server.child);
  }
}

function printMembers({ label, rows, fillMs }) {
  console.log(
    `\n### members list, ${MEMBERS} members — ${label} (filled in ${fillMs} ms, 10 connections)`,
  );
  console.log("| request | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
}

// AUDIT_EVENTS events in one organization's chain, straight into the table.
const fillAuditEvents = (organizationId) => `
  INSERT INTO audit_events (id, action, actor_type, actor_id, actor_email, subject_user_id, organization_id,
    target_type, target_id, ip_address, user_agent, request_id, metadata, created_at, chain_key, seq, prev_hash, hash)
  SELECT 'evt_' || lpad(g::text, 26, '0'), 'member.role_changed', 'user', 'usr_bench', 'bench@example.com', NULL,
    '${organizationId}', 'member', 'mem_' || g, '10.0.0.1', 'bench/1.0', 'req-' || g,
    jsonb_build_object('from', 'member', 'to', 'admin', 'n', g), now() - (g || ' seconds')::interval,
    '${organizationId}', 1000 + g, repeat('0', 64), repeat('0', 64)
  FROM generate_series(1, ${AUDIT_EVENTS}) AS g;
  ANALYZE audit_events;`;

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb("VmRSS") / 1024), peakMb: Math.round(kb("VmHWM") / 1024) };
}

/** Streams an export of AUDIT_EVENTS events and watches the server's memory while it does. */
async function measureExport(label, env, fill) {
  let server = await startServer(env);
  const cookie = await signUp(server.base, `auditor-${randomBytes(4).toString("hex")}@example.com`);
  const mine = await (
    await fetch(`${server.base}/api/v1/me/organizations`, { headers: { cookie } })
  ).json();
  const org = mine.items[0].organization;
  const fillStarted = Date.now();
  server = await fill(org.id, server);
  const fillMs = Date.now() - fillStarted;
  try {
    const before = memoryOf(server.child.pid);
    let peakRss = before.rssMb;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(server.child.pid).rssMb);
    }, 100);
    const results = {};
    for (const format of ["jsonl", "csv"]) {
      const started = Date.now();
      const response = await fetch(
        `${server.base}/api/v1/organizations/${org.slug}/audit-events/export?format=${format}`,
        {
          headers: { cookie },
        },
      );
      let bytes = 0;
      let lines = 0;
      for await (const chunk of response.body) {
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 10) lines++;
      }
      results[format] = {
        status: response.status,
        lines,
        mb: Math.round(bytes / 1048576),
        seconds: (Date.now() - started) / 1000,
      };
    }
    clearInterval(sampler);
    return { label, fillMs, before, peakRss, after: memoryOf(server.child.pid), results };
  } finally {
    await stopServer(server.child);
  }
}

function printExport({ label, fillMs, before, peakRss, after, results }) {
  console.log(`\n### audit export, ${AUDIT_EVENTS} events — ${label} (filled in ${fillMs} ms)`);
  for (const [format, r] of Object.entries(results)) {
    console.log(
      `${format}: HTTP ${r.status}, ${r.lines} lines, ${r.mb} MiB in ${r.seconds.toFixed(1)} s (${Math.round(r.lines / r.seconds)} events/s)`,
    );
  }
  console.log(
    `server memory: RSS ${before.rssMb} MiB before, ${peakRss} MiB at most while exporting (sampled every 100 ms), ${after.rssMb} MiB after`,
  );
}

function print({ label, rows, burst }) {
  console.log(`\n## ${label}`);
  console.log("| route | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  const ceiling = rows[0].rps;
  console.log(
    `\nauthenticated GET /me: ${((rows[1].rps / ceiling) * 100).toFixed(0)}% of the ceiling with a session, ` +
      `${((rows[3].rps / ceiling) * 100).toFixed(0)}% with an API key (target ≥ 50%)`,
  );
  console.log(
    `sign-in burst: ${burst.signIns} sign-ins in ${burst.burstMs} ms (statuses ${JSON.stringify(burst.outcomes)}); ` +
      `authenticated GET /me meanwhile (10 connections): ${burst.rps} req/s, p50 ${burst.p50} ms, p99 ${burst.p99} ms (target p99 < 50 ms)`,
  );
}

const only = process.env.BENCH_ONLY;
console.log(
  `# Atrium benchmark — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ${DURATION}s × ${CONNECTIONS} connections; sections: ${SECTIONS.join(", ")}`,
);

if (!only || only === "pglite") {
  const dir = mkdtempSync(join(tmpdir(), "atrium-bench-"));
  try {
    const env = { ATRIUM_DATA_DIR: dir, DATABASE_URL: "" };
    const label = "embedded database (PGlite)";
    const common = { startServer, stopServer, env, cannon, summarise, label, duration: DURATION };
    if (on("api")) print(await measure(label, env));
    if (on("members") && MEMBERS > 0)
      printMembers(
        await measureMembers("embedded database (PGlite)", env, async (organizationId, server) => {
          // The server holds the embedded database: stop it, fill, start again.
          await stopServer(server.child);
          const { createPGlite } = await import("../dist/db/database.js");
          const pglite = await createPGlite({ dataDir: dir });
          await pglite.exec(fillMembers(organizationId));
          await pglite.close();
          return startServer(env);
        }),
      );
    if (on("export") && AUDIT_EVENTS > 0) {
      printExport(
        await measureExport("embedded database (PGlite)", env, async (organizationId, server) => {
          await stopServer(server.child);
          const { createPGlite } = await import("../dist/db/database.js");
          const pglite = await createPGlite({ dataDir: dir });
          await pglite.exec(fillAuditEvents(organizationId));
          await pglite.close();
          return startServer(env);
        }),
      );
    }
    if (on("state")) await stateChanges({ ...common, count: STATE_COUNT });
    if (on("search") && SEARCH_USERS > 0) {
      const searchDir = mkdtempSync(join(tmpdir(), "atrium-bench-search-"));
      const searchEnv = { ATRIUM_DATA_DIR: searchDir, DATABASE_URL: "" };
      try {
        await memberSearch({
          ...common,
          env: searchEnv,
          users: SEARCH_USERS,
          fill: async (organizationId, server) => {
            await stopServer(server.child);
            const { createPGlite } = await import("../dist/db/database.js");
            const pglite = await createPGlite({ dataDir: searchDir });
            await pglite.exec(fillSearch(organizationId, SEARCH_USERS));
            await pglite.close();
            return startServer(searchEnv);
          },
        });
      } finally {
        rmSync(searchDir, { recursive: true, force: true });
      }
    }
    if (on("soak")) {
      // A data folder of its own, so that its growth is the soak's alone.
      const soakDir = mkdtempSync(join(tmpdir(), "atrium-bench-soak-"));
      try {
        await soak({
          ...common,
          env: { ATRIUM_DATA_DIR: soakDir, DATABASE_URL: "" },
          seconds: SOAK_SECONDS,
          dataDir: soakDir,
        });
      } finally {
        rmSync(soakDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!only || only === "postgres") {
  const admin = new pg.Client({ connectionString: PG_URL });
  let reachable = true;
  await admin.connect().catch(() => (reachable = false));
  if (!reachable) {
    console.log(`\n## PostgreSQL: not reachable at ${PG_URL}; skipped`);
  } else {
    const name = `atrium_bench_${randomBytes(4).toString("hex")}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    try {
      const env = { DATABASE_URL: url.href };
      const label = "PostgreSQL (loopback)";
      const common = { startServer, stopServer, env, cannon, summarise, label, duration: DURATION };
      if (on("api")) print(await measure(label, env));
      if (on("members") && MEMBERS > 0)
        printMembers(
          await measureMembers("PostgreSQL (loopback)", env, async (organizationId, server) => {
            const client = new pg.Client({ connectionString: url.href });
            await client.connect();
            await client.query(fillMembers(organizationId));
            await client.end();
            return server;
          }),
        );
      if (on("export") && AUDIT_EVENTS > 0) {
        printExport(
          await measureExport("PostgreSQL (loopback)", env, async (organizationId, server) => {
            await stopServer(server.child);
            const client = new pg.Client({ connectionString: url.href });
            await client.connect();
            await client.query(fillAuditEvents(organizationId));
            await client.end();
            return startServer(env);
          }),
        );
      }
      if (on("processes")) await processes(common);
      if (on("state")) await stateChanges({ ...common, count: STATE_COUNT });
      if (on("search") && SEARCH_USERS > 0) {
        await memberSearch({
          ...common,
          users: SEARCH_USERS,
          fill: async (organizationId, server) => {
            const client = new pg.Client({ connectionString: url.href });
            await client.connect();
            await client.query(fillSearch(organizationId, SEARCH_USERS));
            await client.end();
            return server;
          },
        });
      }
      if (on("soak")) await soak({ ...common, seconds: SOAK_SECONDS });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
}
