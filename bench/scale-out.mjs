// npm run bench, sections "processes" (GET /me with N processes behind a proxy) and "state"
// (latency of state changes that every process must hear about).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { account, fmt, PASSWORD, percentile, req } from "./bench-http.mjs";

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
