// npm run bench, section "soak": mixed load for minutes, memory and latency sampled.
import { randomBytes } from "node:crypto";
import {
  account,
  fmt,
  folderMb,
  memoryMb,
  PASSWORD,
  percentile,
  req,
  sleep,
} from "./bench-http.mjs";

const MAX_EXTRA_ORGANIZATIONS = 4;

/**
 * `seconds` of mixed load: reads, renames, sign-in/sign-out churn, member lists, organizations
 * created with invitations by link and deleted again. Every 10 s: RSS, p99 and req/s of that
 * window; for the embedded database, the data folder's size.
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
      a.created = [];
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
            body: { emails, role: "member", delivery: "link" },
          });
          let ms = org.ms + inv.ms;
          // Organizations come and go, as a team's do: each account keeps at most a few of its
          // own, so that the load stays the same over the soak instead of growing with it (an
          // account in 1,000 organizations is another benchmark). Deleting is part of the load.
          a.created.push(org.body.id);
          if (a.created.length > MAX_EXTRA_ORGANIZATIONS) {
            const oldest = a.created.shift();
            const gone = await req(base, "DELETE", `/organizations/${oldest}`, {
              cookie: a.cookie,
            });
            if (gone.status !== 204) return gone;
            ms += gone.ms;
          }
          return { status: inv.status, ms };
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
    // Every answer's time and latency: the first and last minute are compared whole, which a
    // single 10 s window on a shared 2-core machine is too noisy for.
    const all = [];
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
          all.push([Date.now() - started, res.ms]);
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
    const minute = (from, to) =>
      all
        .filter(([t]) => t >= from && t < to)
        .map(([, ms]) => ms)
        .sort((x, y) => x - y);
    const elapsed = Date.now() - started;
    if (elapsed >= 120_000) {
      const first = minute(0, 60_000);
      const last = minute(elapsed - 60_000, elapsed);
      const [p99First, p99Last] = [percentile(first, 99), percentile(last, 99)];
      console.log(
        `first minute: ${first.length} answers, p50 ${fmt(percentile(first, 50))} ms, p99 ${fmt(p99First)} ms; last minute: ${last.length} answers, p50 ${fmt(percentile(last, 50))} ms, p99 ${fmt(p99Last)} ms (${(p99Last / p99First).toFixed(2)}×, goal ≤ 1.5×)`,
      );
    }
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
