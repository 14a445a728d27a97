// Lists an organization's members with an API key:
//   ATRIUM_URL=https://atrium.example.com ATRIUM_API_KEY=atr_… node list-members.mjs <org id or slug>
import { createAtriumClient } from "atrium/client";

const atrium = createAtriumClient({
  baseUrl: process.env.ATRIUM_URL,
  apiKey: process.env.ATRIUM_API_KEY, // from POST /api/v1/me/api-keys
});

const org = process.argv[2];
let cursor;
do {
  const { data, error } = await atrium.GET("/api/v1/organizations/{org}/members", {
    params: { path: { org }, query: { cursor } },
  });
  if (error) {
    console.error(`${error.error.code}: ${error.error.message}`);
    process.exit(1);
  }
  for (const member of data.items) console.log(`${member.user.email}\t${member.role}`);
  cursor = data.nextCursor ?? undefined;
} while (cursor);
