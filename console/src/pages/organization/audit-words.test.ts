import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../../../src/audit/audit-events.js";
import { auditQuery, exportHref } from "./audit-filters";
import { ACTIONS, type AuditEvent, describeEvent, describeTarget } from "./audit-words";

function event(action: string, metadata: Record<string, unknown> = {}, more = {}): AuditEvent {
  return {
    id: "evt_1",
    action,
    actor: { type: "user", id: "usr_alice", email: "alice@acme.com" },
    createdAt: "2026-01-02T03:04:05.000Z",
    metadata,
    ...more,
  };
}

describe("the audit log in words", () => {
  it("has a sentence for every action the server records, in the filter too", () => {
    expect([...ACTIONS].sort()).toEqual([...AUDIT_ACTIONS].sort());
    for (const action of AUDIT_ACTIONS) {
      const words = describeEvent(event(action));
      expect(words, action).not.toContain(action);
      expect(words, action).not.toMatch(/undefined|null|\[object/);
    }
  });

  it("names the member a change concerns, by the name recorded with the event", () => {
    const changed = { email: "bob@acme.com", name: "Bob", from: "member", to: "admin" };
    expect(describeEvent(event("member.role_changed", changed))).toBe(
      "alice@acme.com changed Bob's role from member to admin",
    );
    expect(describeEvent(event("member.removed", { email: "bob@acme.com", role: "admin" }))).toBe(
      "alice@acme.com removed bob@acme.com as admin",
    );
    expect(
      describeTarget(
        event("member.removed", { email: "bob@acme.com" }, { target: { type: "member", id: "m" } }),
      ),
    ).toBe("bob@acme.com");
  });

  it("reads old events that did not record whom they concern as 'a member'", () => {
    expect(describeEvent(event("member.role_changed", { from: "member", to: "admin" }))).toBe(
      "alice@acme.com changed a member's role from member to admin",
    );
    expect(describeEvent(event("member.removed", { role: "member" }))).toBe(
      "alice@acme.com removed a member as member",
    );
    expect(describeEvent(event("invitation.declined"))).toBe(
      "alice@acme.com declined an invitation",
    );
  });

  it("says what changed in an organization", () => {
    const renamed = { changed: ["name", "slug"], name: "Acme", slug: "acme" };
    expect(describeEvent(event("organization.updated", renamed))).toBe(
      "alice@acme.com renamed the organization to “Acme” and changed the organization's address to acme",
    );
    const domains = { changed: ["allowedEmailDomains"], allowed_email_domains: ["acme.com"] };
    expect(describeEvent(event("organization.updated", domains))).toBe(
      "alice@acme.com changed the organization's allowed email domains",
    );
  });

  it("shows an action it does not know by its code, and the operator as such", () => {
    expect(describeEvent(event("widget.frobbed"))).toBe("alice@acme.com: widget.frobbed");
    const operator = { actor: { type: "system", id: "cli" } };
    expect(describeEvent(event("user.disabled", {}, operator))).toBe(
      "The operator disabled an account",
    );
  });
});

describe("the filters", () => {
  it("sends days as the start of the day, with To taking in its whole day", () => {
    const query = auditQuery({
      action: "member.added",
      actor: " Bob@Acme.com ",
      from: "2026-03-01",
      to: "2026-03-01",
    });
    expect(query.action).toBe("member.added");
    expect(query.actorEmail).toBe("Bob@Acme.com");
    expect(new Date(query.from!).getTime()).toBe(new Date(2026, 2, 1).getTime());
    expect(new Date(query.to!).getTime()).toBe(new Date(2026, 2, 2).getTime());
    expect(auditQuery({ from: "yesterday", actor: "  " })).toEqual({});
  });

  it("exports with the filters applied", () => {
    const href = exportHref("acme", "csv", { action: "member.added", actorEmail: "a+b@x.io" });
    const url = new URL(href, "http://console");
    expect(url.pathname).toBe("/api/v1/organizations/acme/audit-events/export");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      format: "csv",
      action: "member.added",
      actorEmail: "a+b@x.io",
    });
  });
});
