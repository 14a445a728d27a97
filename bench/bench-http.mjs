// Helpers shared by the issue-12 bench sections (soak.mjs, scale-out.mjs, search.mjs).
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const PASSWORD = "bench-violet-kettle-harbour-42";
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randomAddress = () =>
  `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join(".")}`;

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

export function memoryMb(pid) {
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
export async function req(base, method, path, { cookie, body, origin } = {}) {
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

export async function account(base, tag, origin) {
  const email = `${tag}-${randomBytes(4).toString("hex")}@bench.test`;
  const res = await req(base, "POST", "/auth/sign-up", {
    body: { email, password: PASSWORD, name: "Load Tester" },
    origin,
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, cookie: res.cookie, id: res.body.user.id };
}
