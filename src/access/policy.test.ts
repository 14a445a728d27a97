import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import type { Deps } from "../deps.js";
import { AppError } from "../lib/errors.js";
import {
  type ApiKeyCaller,
  type Caller,
  type CallerAccount,
  OPERATOR_CALLER,
  type SessionCaller,
} from "./caller.js";
import { ACCOUNT_RULES, type AccountAction, assuranceOf, keyBindingOf, permit } from "./policy.js";

const NOW = new Date("2030-01-01T12:00:00Z");
const HOUR = 3_600_000;
// Only the configuration is read by the policy: freshness comes from ATRIUM_SESSION_FRESH.
const deps = {
  config: loadConfig({ PUBLIC_URL: "http://atrium.test", ATRIUM_SESSION_FRESH: "1h" }),
} as Deps;

const account: CallerAccount = {
  id: "usr_1",
  email: "ada@example.com",
  name: "Ada",
  emailVerifiedAt: NOW,
  hasPassword: true,
  createdAt: NOW,
};

function session(provenAgoMs: number): SessionCaller {
  const at = new Date(NOW.getTime() - provenAgoMs);
  return {
    kind: "session",
    user: account,
    session: {
      id: "ses_1",
      createdAt: at,
      authenticatedAt: at,
      renewedAt: at,
      expiresAt: new Date(NOW.getTime() + 7 * 24 * HOUR),
      lastActiveAt: at,
    },
  };
}

function key(organizationId: string | null): ApiKeyCaller {
  return {
    kind: "api_key",
    user: account,
    apiKey: {
      id: "key_1",
      organizationId,
      createdAt: NOW,
      expiresAt: new Date(NOW.getTime() + 30 * 24 * HOUR),
      lastUsedAt: NOW,
    },
  };
}

const CALLERS: Record<string, Caller> = {
  "fresh session": session(5 * 60_000),
  "stale session": session(2 * HOUR),
  "unbound key": key(null),
  "bound key": key("org_1"),
  operator: OPERATOR_CALLER,
};

/** What each caller gets for each action: "ok" or the contract's error code. */
const EXPECTED: Record<AccountAction, Record<keyof typeof CALLERS, string>> = {
  "account.update_profile": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "account.resend_verification": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "account.change_email": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "account.show_email_change": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "account.cancel_email_change": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "account.change_password": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "account.delete": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "session.reauthenticate": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "forbidden",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "session.sign_out": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "forbidden",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "sessions.list": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "sessions.revoke": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "sessions.revoke_others": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "api_keys.list": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "ok",
    operator: "forbidden",
  },
  "api_keys.create": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "api_keys.revoke": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "identities.list": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "identities.link": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "identities.unlink": {
    "fresh session": "ok",
    "stale session": "session_not_fresh",
    "unbound key": "session_not_fresh",
    "bound key": "session_not_fresh",
    operator: "forbidden",
  },
  "organizations.create": {
    "fresh session": "ok",
    "stale session": "ok",
    "unbound key": "ok",
    "bound key": "forbidden",
    operator: "forbidden",
  },
  "operator.accounts": {
    "fresh session": "forbidden",
    "stale session": "forbidden",
    "unbound key": "forbidden",
    "bound key": "forbidden",
    operator: "ok",
  },
  "operator.organizations": {
    "fresh session": "forbidden",
    "stale session": "forbidden",
    "unbound key": "forbidden",
    "bound key": "forbidden",
    operator: "ok",
  },
  "operator.audit": {
    "fresh session": "forbidden",
    "stale session": "forbidden",
    "unbound key": "forbidden",
    "bound key": "forbidden",
    operator: "ok",
  },
};

function outcome(caller: Caller, action: AccountAction): string {
  try {
    // The overloads narrow by action; the table walks every action with every caller.
    (permit as (d: Deps, c: Caller, a: AccountAction, n: Date) => Caller)(
      deps,
      caller,
      action,
      NOW,
    );
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe("the account-level policy", () => {
  it("has an expectation for every rule, and every rule is checked", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(ACCOUNT_RULES).sort());
  });

  for (const action of Object.keys(EXPECTED) as AccountAction[]) {
    it(`answers ${action} for each kind of caller as the rules say`, () => {
      const got = Object.fromEntries(
        Object.entries(CALLERS).map(([name, caller]) => [name, outcome(caller, action)]),
      );
      expect(got).toEqual(EXPECTED[action]);
    });
  }

  it("counts freshness from the last proof of the password, up to ATRIUM_SESSION_FRESH", () => {
    expect(assuranceOf(deps, session(HOUR - 1), NOW)).toBe("fresh");
    expect(assuranceOf(deps, session(HOUR), NOW)).toBe("signed_in");
  });

  it("never counts an API key as a fresh sign-in, however new", () => {
    expect(assuranceOf(deps, key(null), NOW)).toBe("signed_in");
  });

  it("confines only a bound key to its organization", () => {
    expect(keyBindingOf(key("org_1"))).toBe("org_1");
    expect(keyBindingOf(key(null))).toBeNull();
    expect(keyBindingOf(session(0))).toBeNull();
    expect(keyBindingOf(OPERATOR_CALLER)).toBeNull();
  });
});
