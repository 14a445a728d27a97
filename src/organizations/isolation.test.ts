import { describe, expect, it } from "vitest";
import {
  type Client,
  errorCode,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();
let counter = 0;

const db = () => t.app.deps.db;

/** An organization with an owner, a member who joined by link, and a pending invitation. */
async function organization(label: string) {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name: `${label} ${++counter}` });
  expect(created.status).toBe(201);
  const { id, slug } = created.body as { id: string; slug: string };
  const email = `member-${++counter}@example.com`;
  const invited = await owner.client.post(`/organizations/${id}/invitations`, {
    emails: [email, `pending-${counter}@example.com`],
    role: "member",
    delivery: "link",
  });
  expect(invited.status).toBe(201);
  const [link, pending] = invited.body.invitations;
  const member = t.client();
  const signUp = await member.post("/auth/sign-up", {
    email,
    name: `Member ${counter}`,
    password: STRONG_PASSWORD,
    invitationToken: link.url.split("/").pop(),
  });
  expect(signUp.status).toBe(201);
  const members = await owner.client.get(`/organizations/${id}/members?role=member`);
  return {
    id,
    slug,
    owner: owner.client,
    member,
    memberId: members.body.items[0].id as string,
    invitationId: pending.id as string,
  };
}

type Org = Awaited<ReturnType<typeof organization>>;

type Ids = { memberId: string; invitationId: string };

/** Every organization route, named, for an organization reference and ids to use inside it. */
const ROUTES: Array<[string, (c: Client, base: string, ids: Ids) => Promise<Reply>]> = [
  ["GET org", (c, base) => c.get(base)],
  [
    "PATCH org",
    (c, base) => c.patch(base, { name: "Taken over", allowedEmailDomains: ["evil.io"] }),
  ],
  ["DELETE org", (c, base) => c.delete(base)],
  ["GET members", (c, base) => c.get(`${base}/members`)],
  ["PATCH member", (c, base, ids) => c.patch(`${base}/members/${ids.memberId}`, { role: "owner" })],
  ["DELETE member", (c, base, ids) => c.delete(`${base}/members/${ids.memberId}`)],
  ["GET invitations", (c, base) => c.get(`${base}/invitations`)],
  [
    "POST invitations",
    (c, base) =>
      c.post(`${base}/invitations`, {
        emails: [`intruder-${++counter}@example.com`],
        role: "owner",
        delivery: "link",
      }),
  ],
  ["DELETE invitation", (c, base, ids) => c.delete(`${base}/invitations/${ids.invitationId}`)],
  ["resend invitation", (c, base, ids) => c.post(`${base}/invitations/${ids.invitationId}/resend`)],
];

function describeReply(reply: Reply) {
  return { status: reply.status, body: reply.body };
}

/** What can be observed of an organization: it must be the same before and after an attack. */
async function snapshot(org: Org) {
  const organization = await db()
    .selectFrom("organizations")
    .selectAll()
    .where("id", "=", org.id)
    .executeTakeFirst();
  const members = await db()
    .selectFrom("organization_members")
    .selectAll()
    .where("organization_id", "=", org.id)
    .orderBy("id")
    .execute();
  const invitations = await db()
    .selectFrom("invitations")
    .selectAll()
    .where("organization_id", "=", org.id)
    .orderBy("id")
    .execute();
  const events = await db()
    .selectFrom("audit_events")
    .select(["id", "action"])
    .where("organization_id", "=", org.id)
    .orderBy("id")
    .execute();
  return { organization, members, invitations, events };
}

const a = await organization("Alpha");
const b = await organization("Beta");
const outsider = await signUpUser(t);

describe("organizations are invisible to non-members", () => {
  const NO_SUCH = {
    id: "org_00000000000000000000000000",
    slug: "no-such-organization",
  };

  for (const [refKind, pick] of [
    ["id", (o: Org) => o.id],
    ["slug", (o: Org) => o.slug],
  ] as const) {
    it(`answers an outsider and another organization's owner and member with the 404 of a missing organization, by ${refKind}`, async () => {
      const before = await snapshot(a);
      const ids = { memberId: a.memberId, invitationId: a.invitationId };
      for (const [name, caller] of [
        ["outsider", outsider.client],
        ["other owner", b.owner],
        ["other member", b.member],
      ] as const) {
        for (const [route, call] of ROUTES) {
          const label = `${name}: ${route}`;
          const reply = await call(caller, `/organizations/${pick(a)}`, ids);
          expect(reply.status, label).toBe(404);
          expect(errorCode(reply), label).toBe("not_found");
          const missing = await call(caller, `/organizations/${NO_SUCH[refKind]}`, ids);
          expect(describeReply(reply), label).toEqual(describeReply(missing));
        }
      }
      expect(await snapshot(a)).toEqual(before);
    });
  }

  it("asks for a session before anything else on every organization route", async () => {
    const anonymous = t.client();
    for (const [route, call] of ROUTES) {
      const reply = await call(anonymous, `/organizations/${a.id}`, a);
      expect(reply.status, route).toBe(401);
      expect(errorCode(reply), route).toBe("unauthenticated");
    }
  });
});

describe("ids of one organization used in another's path", () => {
  it("finds no member or invitation of organization A under organization B and changes nothing", async () => {
    const before = await snapshot(a);
    const beforeB = await snapshot(b);
    for (const ref of [b.id, b.slug]) {
      const base = `/organizations/${ref}`;
      const attempts: Array<[string, () => Promise<Reply>, () => Promise<Reply>]> = [
        [
          "change A's member",
          () => b.owner.patch(`${base}/members/${a.memberId}`, { role: "admin" }),
          () => b.owner.patch(`${base}/members/mem_00000000000000000000000000`, { role: "admin" }),
        ],
        [
          "remove A's member",
          () => b.owner.delete(`${base}/members/${a.memberId}`),
          () => b.owner.delete(`${base}/members/mem_00000000000000000000000000`),
        ],
        [
          "revoke A's invitation",
          () => b.owner.delete(`${base}/invitations/${a.invitationId}`),
          () => b.owner.delete(`${base}/invitations/inv_00000000000000000000000000`),
        ],
        [
          "resend A's invitation",
          () => b.owner.post(`${base}/invitations/${a.invitationId}/resend`),
          () => b.owner.post(`${base}/invitations/inv_00000000000000000000000000/resend`),
        ],
      ];
      for (const [label, attempt, missing] of attempts) {
        const reply = await attempt();
        expect(reply.status, label).toBe(404);
        expect(errorCode(reply), label).toBe("not_found");
        expect(describeReply(reply), label).toEqual(describeReply(await missing()));
      }
    }
    expect(await snapshot(a)).toEqual(before);
    expect(await snapshot(b)).toEqual(beforeB);
    expect((await a.member.get(`/organizations/${a.id}`)).body.myRole).toBe("member");
  });

  it("lists only the caller's own organization's members and invitations", async () => {
    const members = await b.owner.get(`/organizations/${b.id}/members`);
    expect(members.body.items.map((m: { id: string }) => m.id)).not.toContain(a.memberId);
    const invitations = await b.owner.get(`/organizations/${b.id}/invitations`);
    expect(invitations.body.items.map((i: { id: string }) => i.id)).not.toContain(a.invitationId);
    expect(invitations.body.items).toHaveLength(1);
  });
});
