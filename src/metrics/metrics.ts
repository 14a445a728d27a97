import client from "prom-client";

/**
 * The process's Prometheus metrics (prom-client's default registry, as every library that
 * exports metrics expects). Counters only ever grow; readers take rates.
 */
export const registry = client.register;
client.collectDefaultMetrics({ register: registry, prefix: "atrium_" });

export const httpRequests = new client.Counter({
  name: "atrium_http_requests_total",
  help: "HTTP requests by route, method and status",
  labelNames: ["route", "method", "status"] as const,
});

export const httpDuration = new client.Histogram({
  name: "atrium_http_request_duration_seconds",
  help: "HTTP request latency by route, method and status",
  labelNames: ["route", "method", "status"] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

export const signIns = new client.Counter({
  name: "atrium_sign_ins_total",
  help: "Password sign-in attempts by result (success, failure, rate_limited)",
  labelNames: ["result"] as const,
});

export const sessionsCreated = new client.Counter({
  name: "atrium_sessions_created_total",
  help: "Sessions created (sign-up and sign-in)",
});

export const sessionsRevoked = new client.Counter({
  name: "atrium_sessions_revoked_total",
  help: "Sessions ended before their expiry (sign-out, revocation, password change or reset, account deletion)",
});

export const emails = new client.Counter({
  name: "atrium_emails_total",
  help: "Emails by outcome: queued in the outbox, sent, failed (a failed attempt is retried)",
  labelNames: ["event"] as const,
});

/** Set at scrape time by whoever can count the outbox (see app.ts). */
export const outboxBacklog = new client.Gauge({
  name: "atrium_outbox_backlog",
  help: "Emails waiting in the outbox to be sent",
});
