// npm run bench: starts Atrium (the built dist/) as a real server process and measures it
// with autocannon, on the embedded database and, when reachable, on PostgreSQL.
//
//   BENCH_DURATION=10        seconds per measurement
//   BENCH_CONNECTIONS=50     concurrent connections
//   BENCH_DATABASE_URL=…     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test);
//                            a fresh database is created on it and dropped afterwards
//   BENCH_ONLY=pglite|postgres
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import pg from "pg";

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PG_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const PASSWORD = "bench-violet-kettle-harbour-42";
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);

function startServer(env) {
  return new Promise((resolve, reject) => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, ["dist/cli/atrium.js", "serve"], {
      // Behind a (simulated) proxy, so the burst can come from many client addresses as it
      // would in production, instead of tripping the per-address sign-in limit of one.
      env: {
        ...process.env,
        PORT: String(port),
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

function print({ label, rows, burst }) {
  console.log(`\n## ${label}`);
  console.log("| route | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  const ceiling = rows[0].rps;
  console.log(
    `\nauthenticated GET /me: ${((rows[1].rps / ceiling) * 100).toFixed(0)}% of the ceiling (target ≥ 50%)`,
  );
  console.log(
    `sign-in burst: ${burst.signIns} sign-ins in ${burst.burstMs} ms (statuses ${JSON.stringify(burst.outcomes)}); ` +
      `authenticated GET /me meanwhile (10 connections): ${burst.rps} req/s, p50 ${burst.p50} ms, p99 ${burst.p99} ms (target p99 < 50 ms)`,
  );
}

const only = process.env.BENCH_ONLY;
console.log(
  `# Atrium benchmark — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ${DURATION}s × ${CONNECTIONS} connections`,
);

if (!only || only === "pglite") {
  const dir = mkdtempSync(join(tmpdir(), "atrium-bench-"));
  try {
    const env = { ATRIUM_DATA_DIR: dir, DATABASE_URL: "" };
    print(await measure("embedded database (PGlite)", env));
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
      print(await measure("PostgreSQL (loopback)", env));
      printMembers(
        await measureMembers("PostgreSQL (loopback)", env, async (organizationId, server) => {
          const client = new pg.Client({ connectionString: url.href });
          await client.connect();
          await client.query(fillMembers(organizationId));
          await client.end();
          return server;
        }),
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
}
