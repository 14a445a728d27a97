// Does POST /auth/password-reset take longer for an existing address? Starts `atrium serve`
// (the built dist/, or the build directory given as first argument) as a separate process on a
// fresh embedded database (or on RESET_TIMING_DATABASE_URL, an empty database), signs up N
// accounts, then asks for N resets of existing and N of unknown addresses, interleaved and
// spaced so that each request's after-the-answer work is over before the next, and prints the
// medians.
//
//   node bench/reset-timing.mjs [dist] [N=200]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const dist = resolve(process.argv[2] ?? "dist");
const N = Number(process.argv[3] ?? 200);
const GAP_MS = 50;
const dataDir = mkdtempSync(join(tmpdir(), "atrium-reset-timing-"));
const port = 20000 + Math.floor(Math.random() * 20000);
const env = {
  ...process.env,
  PORT: String(port),
  LOG_LEVEL: "silent",
  ATRIUM_DATA_DIR: dataDir,
  // Every request from its own (forwarded) address, so per-address limits stay out of the way.
  ATRIUM_TRUST_PROXY: "true",
  ATRIUM_PERSONAL_ORGS: "false",
};
delete env.DATABASE_URL;
if (process.env.RESET_TIMING_DATABASE_URL) env.DATABASE_URL = process.env.RESET_TIMING_DATABASE_URL;
const server = spawn(process.execPath, [join(dist, "cli", "atrium.js"), "serve"], {
  env,
  stdio: "inherit",
});
const base = `http://127.0.0.1:${port}/api/v1`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
  } catch {}
  if (i > 300) throw new Error("the server did not start");
  await new Promise((r) => setTimeout(r, 100));
}

let ipCounter = 0;
async function post(path, body) {
  ipCounter++;
  const ip = `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
  const started = process.hrtime.bigint();
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const stamp = Date.now();
const existing = [];
for (let i = 0; i < N; i++) {
  const email = `timing${i}-${stamp}@example.com`;
  const password = "violet-kettle-harbour-42";
  const reply = await post("/auth/sign-up", { email, name: `Timing ${i}`, password });
  if (reply.status !== 201) throw new Error(`sign-up answered ${reply.status}`);
  existing.push(email);
}
for (let i = 0; i < 20; i++) {
  await post("/auth/password-reset", { email: `warm-up${i}-${stamp}@example.net` });
  await sleep(GAP_MS);
}
const times = { existing: [], unknown: [] };
for (let i = 0; i < N; i++) {
  // Alternate which goes first.
  for (const kind of i % 2 ? ["existing", "unknown"] : ["unknown", "existing"]) {
    const email = kind === "existing" ? existing[i] : `nobody${i}-${stamp}@example.com`;
    const reply = await post("/auth/password-reset", { email });
    if (reply.status !== 202) throw new Error(`password reset answered ${reply.status}`);
    times[kind].push(reply.ms);
    await sleep(GAP_MS);
  }
}
server.kill("SIGTERM");
await once(server, "exit");
rmSync(dataDir, { recursive: true, force: true });

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
const quantile = (xs, q) => sorted(xs)[Math.floor(q * (xs.length - 1))];
const line = (xs) =>
  `median ${median(xs).toFixed(3)} ms (p25 ${quantile(xs, 0.25).toFixed(3)}, p75 ${quantile(xs, 0.75).toFixed(3)})`;
console.log(`${env.DATABASE_URL ? "PostgreSQL" : "embedded"}, ${N} requests each, ${dist}`);
console.log(`  existing: ${line(times.existing)}`);
console.log(`  unknown:  ${line(times.unknown)}`);
console.log(
  `  difference of medians: ${(median(times.existing) - median(times.unknown)).toFixed(3)} ms`,
);
