// npm run bench, section "search": member search in a large instance.
import { account, req } from "./bench-http.mjs";

/** SQL: USERS users, every tenth a member of the organization (so USERS / 10 members). */
export const fillSearch = (organizationId, users) => `
  INSERT INTO users (id, email, email_canonical, name, password_hash, created_at, updated_at)
  SELECT 'usr_s' || lpad(g::text, 25, '0'), 'user' || g || '@search.test', 'user' || g || '@search.test',
         'Person ' || g, NULL, now(), now()
  FROM generate_series(1, ${users}) AS g;
  INSERT INTO organization_members (id, organization_id, user_id, role, created_at)
  SELECT 'mem_s' || lpad(g::text, 25, '0'), '${organizationId}', 'usr_s' || lpad(g::text, 25, '0'), 'member', now()
  FROM generate_series(10, ${users}, 10) AS g;
  ANALYZE users; ANALYZE organization_members;`;

/** `?q=` in an organization of USERS / 10 members on an instance of USERS users, req/s. */
export async function memberSearch({
  startServer,
  stopServer,
  env,
  cannon,
  summarise,
  label,
  fill,
  users,
  duration,
}) {
  let server = await startServer(env);
  const owner = await account(server.base, "searcher");
  const orgs = await req(server.base, "GET", "/me/organizations", { cookie: owner.cookie });
  const org = orgs.body.items[0].organization;
  const started = Date.now();
  server = await fill(org.id, server);
  const fillMs = Date.now() - started;
  const rows = [];
  try {
    const cases = [
      ["plain page (no q)", "limit=50"],
      ["q=user4242 (one member)", "limit=50&q=user4242"],
      ["q=son 77 (name, ~100 members)", `limit=50&q=${encodeURIComponent("son 77")}`],
      ["q=nobody (no match)", "limit=50&q=nobody"],
    ];
    for (const [name, query] of cases) {
      const url = `${server.base}/api/v1/organizations/${org.id}/members?${query}`;
      const check = await req(server.base, "GET", `/organizations/${org.id}/members?${query}`, {
        cookie: owner.cookie,
      });
      if (check.status !== 200)
        throw new Error(`${name}: ${check.status} ${JSON.stringify(check.body)}`);
      await cannon({ url, headers: { cookie: owner.cookie }, connections: 10, duration: 2 });
      const result = await cannon({
        url,
        headers: { cookie: owner.cookie },
        connections: 10,
        duration,
      });
      rows.push(summarise(`${name}: ${check.body.items.length} items`, result, 200));
    }
  } finally {
    await stopServer(server.child);
  }
  console.log(
    `\n### member search, ${users / 10} members in an instance of ${users} users — ${label} (filled in ${fillMs} ms, 10 connections)`,
  );
  console.log("| request | req/s | p50 ms | p99 ms | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  return rows;
}
