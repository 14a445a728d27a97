import { describe, expect, it } from "vitest";
import { expectError, signUpUser, startTestApp } from "../../test/support/test-app.js";

const t = await startTestApp();
let counter = 0;

function auditEvents(organizationId: string, action?: string) {
  let query = t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("organization_id", "=", organizationId);
  if (action) query = query.where("action", "=", action);
  return query.orderBy("id").execute();
}

async function ownerWithOrganization(name = `Org ${++counter}`) {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name });
  expect(created.status).toBe(201);
  return { ...owner, org: created.body as { id: string; slug: string; name: string } };
}

describe("POST /organizations", () => {
  it("creates the organization with the caller as its owner and records both events", async () => {
    const { client, user } = await signUpUser(t);
    const reply = await client.post("/organizations", { name: "Acme Rockets" });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.stringMatching(/^org_[0-9a-z]{26}$/),
      slug: "acme-rockets",
      name: "Acme Rockets",
      createdAt: t.clock.now().toISOString(),
      allowedEmailDomains: [],
      myRole: "owner",
    });
    const members = await client.get(`/organizations/${reply.body.id}/members`);
    expect(members.body.items).toEqual([
      expect.objectContaining({ user: expect.objectContaining({ id: user.id }), role: "owner" }),
    ]);

    const events = await auditEvents(reply.body.id);
    expect(events.map((e) => e.action).sort()).toEqual(["member.added", "organization.created"]);
    expect(events.find((e) => e.action === "organization.created")).toMatchObject({
      actor_type: "user",
      actor_id: user.id,
      target_type: "organization",
      target_id: reply.body.id,
      ip_address: client.ip,
      user_agent: client.userAgent,
      metadata: { name: "Acme Rockets", slug: "acme-rockets" },
    });
    expect(events.find((e) => e.action === "member.added")).toMatchObject({
      actor_id: user.id,
      subject_user_id: user.id,
      metadata: { role: "owner" },
    });
  });

  it("makes the slug from the name without accents, in lowercase with hyphens, and suffixes a taken one", async () => {
    const { client } = await signUpUser(t);
    const first = await client.post("/organizations", { name: "  Crème Brûlée & Ada's Café " });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      slug: "creme-brulee-adas-cafe",
      name: "Crème Brûlée & Ada's Café",
    });
    const second = await client.post("/organizations", { name: "Crème Brûlée & Ada's Café" });
    expect(second.status).toBe(201);
    expect(second.body.slug).toBe("creme-brulee-adas-cafe-2");
    expect(second.body.id).not.toBe(first.body.id);
  });

  it("takes an explicit slug, and refuses one that is taken with 409 conflict", async () => {
    const { client } = await signUpUser(t);
    const first = await client.post("/organizations", { name: "Explicit", slug: "explicit-co" });
    expect(first.status).toBe(201);
    expect(first.body.slug).toBe("explicit-co");
    const other = await signUpUser(t);
    const taken = await other.client.post("/organizations", { name: "Other", slug: "explicit-co" });
    expectError(taken, 409, "conflict");
    const orgs = await t.app.deps.db
      .selectFrom("organizations")
      .select("id")
      .where("name", "=", "Other")
      .execute();
    expect(orgs).toEqual([]);
  });

  it("refuses a slug with capitals, underscores, edge or double hyphens, or over 48 characters", async () => {
    const { client } = await signUpUser(t);
    for (const slug of [
      "Acme",
      "acme_co",
      "-acme",
      "acme-",
      "ac--me",
      "acme co",
      "",
      "a".repeat(49),
    ]) {
      expectError(
        await client.post("/organizations", { name: "Bad slug", slug }),
        400,
        "invalid_request",
        slug,
      );
    }
    expect(
      (await client.post("/organizations", { name: "Long slug", slug: "a".repeat(48) })).status,
    ).toBe(201);
  });

  it("refuses an empty, blank, overlong or control-character name, and unknown fields", async () => {
    const { client } = await signUpUser(t);
    const names = [
      "",
      "   ",
      "a".repeat(101),
      "Evil\u0000Org",
      "Line\nBreak",
      "Right\u202Eto left",
    ];
    for (const name of names) {
      expectError(
        await client.post("/organizations", { name }),
        400,
        "invalid_request",
        JSON.stringify(name),
      );
    }
    for (const body of [
      { name: "Extra", role: "owner" },
      { name: "Extra", organizationId: "org_x" },
      {},
    ]) {
      expectError(
        await client.post("/organizations", body),
        400,
        "invalid_request",
        JSON.stringify(body),
      );
    }
    expect((await client.post("/organizations", { name: "é".repeat(100) })).status).toBe(201);
  });
});

describe("GET /organizations/{org}", () => {
  it("answers the same organization by id and by slug, with the caller's role", async () => {
    const { client, org } = await ownerWithOrganization();
    const byId = await client.get(`/organizations/${org.id}`);
    expect(byId.status).toBe(200);
    expect(Object.keys(byId.body).sort()).toEqual([
      "allowedEmailDomains",
      "createdAt",
      "id",
      "myRole",
      "name",
      "slug",
    ]);
    expect(byId.body).toMatchObject({ ...org, myRole: "owner" });
    const bySlug = await client.get(`/organizations/${org.slug}`);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toEqual(byId.body);
  });
});

describe("PATCH /organizations/{org}", () => {
  it("renames, changes the slug (the old one then leads its members there) and records organization.updated", async () => {
    const { client, user, org } = await ownerWithOrganization();
    const reply = await client.patch(`/organizations/${org.slug}`, {
      name: "Renamed",
      slug: `renamed-${counter}`,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      id: org.id,
      name: "Renamed",
      slug: `renamed-${counter}`,
      myRole: "owner",
    });
    // Old links still find it, named by its new slug, so the console can say where it went.
    expect((await client.get(`/organizations/${org.slug}`)).body).toMatchObject({
      id: org.id,
      slug: `renamed-${counter}`,
    });
    expect((await client.get(`/organizations/renamed-${counter}`)).body.id).toBe(org.id);

    const events = await auditEvents(org.id, "organization.updated");
    expect(events).toEqual([
      expect.objectContaining({
        actor_id: user.id,
        target_id: org.id,
        metadata: expect.objectContaining({ changed: ["name", "slug"], name: "Renamed" }),
      }),
    ]);
  });

  it("answers an old slug only to members, and forgets it once another organization takes it", async () => {
    const { client, org } = await ownerWithOrganization();
    const stranger = await signUpUser(t);
    const moved = `moved-${counter}`;
    expect((await client.patch(`/organizations/${org.id}`, { slug: moved })).status).toBe(200);
    // A non-member learns nothing from the old slug, as from any other.
    expectError(await stranger.client.get(`/organizations/${org.slug}`), 404, "not_found");
    // Writes through the old slug reach the organization too (same membership checks).
    const renamed = await client.patch(`/organizations/${org.slug}`, { name: "Via old slug" });
    expect(renamed.body).toMatchObject({ id: org.id, slug: moved, name: "Via old slug" });

    // Another organization takes the old slug: it answers for it from then on.
    const other = await stranger.client.post("/organizations", { name: "Taker", slug: org.slug });
    expect(other.status).toBe(201);
    expect((await stranger.client.get(`/organizations/${org.slug}`)).body.id).toBe(other.body.id);
    expectError(await client.get(`/organizations/${org.slug}`), 404, "not_found");

    // Moving back takes the former slug out of the history; the one left goes in.
    expect(
      (await client.patch(`/organizations/${org.id}`, { slug: `back-${counter}` })).status,
    ).toBe(200);
    expect((await client.get(`/organizations/${moved}`)).body.id).toBe(org.id);
    expect((await client.patch(`/organizations/${org.id}`, { slug: moved })).body.slug).toBe(moved);
    const formerOfOrg = await t.app.deps.db
      .selectFrom("organization_former_slugs")
      .select("slug")
      .where("organization_id", "=", org.id)
      .orderBy("slug")
      .execute();
    expect(formerOfOrg.map((row) => row.slug)).toEqual([`back-${counter}`, org.slug]);
  });

  it("refuses a slug another organization has with 409 conflict and keeps its own", async () => {
    const { client, org } = await ownerWithOrganization();
    const other = await ownerWithOrganization();
    expectError(
      await client.patch(`/organizations/${org.id}`, { slug: other.org.slug }),
      409,
      "conflict",
    );
    expect((await client.get(`/organizations/${org.id}`)).body.slug).toBe(org.slug);
    expect(await auditEvents(org.id, "organization.updated")).toEqual([]);
  });

  it("stores allowed email domains in canonical form: lowercase, punycode, without duplicates", async () => {
    const { client, org } = await ownerWithOrganization();
    const reply = await client.patch(`/organizations/${org.id}`, {
      allowedEmailDomains: ["ACME.com", "bücher.de", " acme.COM "],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.allowedEmailDomains).toEqual(["acme.com", "xn--bcher-kva.de"]);
    const row = await t.app.deps.db
      .selectFrom("organizations")
      .select("allowed_email_domains")
      .where("id", "=", org.id)
      .executeTakeFirst();
    expect(row?.allowed_email_domains).toEqual(["acme.com", "xn--bcher-kva.de"]);
  });

  it("refuses an invalid domain or one with a trailing dot, and changes nothing", async () => {
    const { client, org } = await ownerWithOrganization();
    const set = await client.patch(`/organizations/${org.id}`, {
      allowedEmailDomains: ["acme.com"],
    });
    expect(set.status).toBe(200);
    for (const domain of [
      "acme.com.",
      "acme.com/x",
      "evil.io?acme.com",
      "evil.io#acme.com",
      "not a domain",
      "localhost",
      "acme..com",
      "-acme.com",
      "acme.c0m",
      "@acme.com",
    ]) {
      const reply = await client.patch(`/organizations/${org.id}`, {
        name: "Changed",
        allowedEmailDomains: ["ok.io", domain],
      });
      expectError(reply, 400, "invalid_request", domain);
    }
    expect((await client.get(`/organizations/${org.id}`)).body).toMatchObject({
      name: org.name,
      allowedEmailDomains: ["acme.com"],
    });
  });

  it("refuses invalid names, slugs and unknown fields with 400", async () => {
    const { client, org } = await ownerWithOrganization();
    for (const body of [
      { name: "" },
      { name: " \t " },
      { name: "a\u0007b" },
      { slug: "Upper" },
      { slug: "a_b" },
      { id: "org_x" },
      { myRole: "owner" },
    ]) {
      expectError(
        await client.patch(`/organizations/${org.id}`, body),
        400,
        "invalid_request",
        JSON.stringify(body),
      );
    }
    expect((await client.get(`/organizations/${org.id}`)).body).toMatchObject(org);
  });
});

const closed = await startTestApp({ env: { ATRIUM_ACCOUNTS_CREATE_ORGS: "false" } });

describe("an instance where only the operator creates organizations", () => {
  it("refuses POST /organizations with 403 and tells the console through /me", async () => {
    const { client } = await signUpUser(closed);
    expect((await client.get("/me")).body.canCreateOrganizations).toBe(false);
    const refused = await client.post("/organizations", { name: "Not here" });
    expectError(refused, 403, "forbidden");
    expect(refused.body.error.message).toMatch(/created by its operator/);
    const mine = await client.get("/me/organizations");
    expect(
      mine.body.items.map((m: { organization: { name: string } }) => m.organization.name),
    ).not.toContain("Not here");
  });
});
