import { call } from "./http.js";

/** What one request of the load came to. */
export interface Outcome {
  at: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
  /** The network error's code when there was no answer, or a proxy's explanation. */
  error?: string;
}

/** `loops` clients each reading and renaming the account in turn until `stop()`. */
export function startLoad(base: string, cookie: string, loops: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const clients = Array.from({ length: loops }, async (_, client) => {
    for (let i = 0; running && i < 100_000; i++) {
      const at = Date.now();
      try {
        const answer =
          i % 4 === 0
            ? await call(base, "PATCH", "/me", { cookie, body: { name: `Load ${client}-${i}` } })
            : await call(base, "GET", "/me", { cookie });
        outcomes.push({
          at,
          status: answer.status,
          code: answer.body?.error?.code,
          retryAfter: answer.retryAfter,
          ...(typeof answer.body === "string" ? { error: answer.body.slice(0, 200) } : {}),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcomes.push({ at, status: 0, error: cause?.code ?? String(error) });
        // The process is gone: do not spin.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}
