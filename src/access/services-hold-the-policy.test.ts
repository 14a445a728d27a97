import { describe, expect, it } from "vitest";
import { signUpUser, startTestApp } from "../../test/support/test-app.js";
import { deleteAccount } from "../accounts/account-settings.js";
import { createApiKey } from "../api-keys/api-keys.service.js";
import { AppError } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { runOperatorCommand } from "../operator/operator-commands.js";
import { revokeOtherSessions, validateSession } from "../sessions/sessions.service.js";
import { OPERATOR_CALLER, type PersonCaller } from "./caller.js";

const t = await startTestApp();
const HOUR = 3_600_000;

function metaNow(): RequestMeta {
  return {
    now: t.clock.now(),
    ipAddress: "203.0.113.9",
    userAgent: "policy test",
    requestId: "req-1",
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

/** The caller a request with this client's cookie would carry, as a program calling a service would hold it. */
async function callerOf(cookie: string | undefined) {
  const validated = await validateSession(t.app.deps, cookie ?? "", t.clock.now());
  if (!validated) throw new Error("the session is not valid");
  return validated.state;
}

describe("the services hold the account policy themselves, whoever calls them", () => {
  it("refuses a sensitive action from a stale session even when no route guard ran", async () => {
    const { client, email } = await signUpUser(t);
    t.clock.advance(2 * HOUR);
    const stale = await callerOf(client.cookie);

    expect(await refusal(deleteAccount(t.app.deps, stale, metaNow()))).toBe("session_not_fresh");
    expect(await refusal(revokeOtherSessions(t.app.deps, stale, metaNow()))).toBe(
      "session_not_fresh",
    );
    expect(await refusal(createApiKey(t.app.deps, stale, { name: "ci" }, metaNow()))).toBe(
      "session_not_fresh",
    );
    // Nothing was done: the account still signs in.
    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
    expect((await client.get("/me/api-keys")).body.items).toEqual([]);
  });

  it("refuses the operator what only a person can do, should a program get the types wrong", async () => {
    const operator = OPERATOR_CALLER as unknown as PersonCaller;
    expect(await refusal(deleteAccount(t.app.deps, operator, metaNow()))).toBe("forbidden");
  });

  it("runs operator commands as the operator", async () => {
    const { email } = await signUpUser(t);
    const shown = await runOperatorCommand(t.app.deps, { command: "users-show", email });
    expect(shown.status).toBe(200);
  });
});
