import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Anchor } from "../audit/audit-verify.js";
import type { Config } from "../config.js";
import type { OperatorCommand, OperatorResult } from "../operator/operator-commands.js";
import { executeOperatorCommand } from "./operator-client.js";

/** Exit codes: 0 done, 1 failed (or, for audit verify, a broken chain), 2 wrong usage or input, 3 not found. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;

type Values = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  words: [string, string];
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** The positional argument the command takes, if any (an email). */
  argument?: string;
  toCommand(values: Values, argument: string | undefined): OperatorCommand | string;
  /** Prints a successful JSON answer for people; --json prints it as is. */
  print?(body: unknown, values: Values): number | undefined;
}

const json = { json: { type: "boolean" } } as const;
const str = (values: Values, name: string) =>
  typeof values[name] === "string" ? (values[name] as string) : undefined;

function table(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const widths = columns.map((c) =>
    Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => String(row[c] ?? ""))));
}

/** The saved output of `atrium audit heads --json`, or why it cannot be used. */
function readAnchors(file: string): Anchor[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return `--heads: cannot read ${file} as JSON (${(error as Error).message})`;
  }
  const items = (parsed as { items?: unknown })?.items ?? parsed;
  if (!Array.isArray(items)) return "--heads: expected the output of atrium audit heads --json";
  const anchors: Anchor[] = [];
  for (const item of items as Array<Record<string, unknown>>) {
    const { chainKey, seq, hash } = item ?? {};
    if (typeof chainKey !== "string" || !Number.isSafeInteger(seq) || typeof hash !== "string")
      return "--heads: every item needs a chainKey, a seq and a hash";
    anchors.push({ chainKey, seq: seq as number, hash });
  }
  return anchors;
}

export const COMMANDS: CommandSpec[] = [
  {
    words: ["org", "create"],
    usage: `Usage: atrium org create --name <name> --owner <email> [--slug <slug>] [--json]

Creates an organization and invites its first owner by email (the organization accepts
members from the owner's email domain). Prints the invitation link.`,
    options: {
      name: { type: "string" },
      owner: { type: "string" },
      slug: { type: "string" },
      ...json,
    },
    toCommand: (v) =>
      !str(v, "name") || !str(v, "owner")
        ? "--name and --owner are required"
        : {
            command: "org-create",
            name: str(v, "name")!,
            ownerEmail: str(v, "owner")!,
            slug: str(v, "slug"),
          },
    print(body, v) {
      const answer = body as {
        organization: { id: string; slug: string; name: string };
        invitationUrl: string;
        expiresAt: string;
      };
      console.log(
        `Created organization "${answer.organization.name}" (slug ${answer.organization.slug}, id ${answer.organization.id}).`,
      );
      console.log(`Owner invitation for ${str(v, "owner")}, valid until ${answer.expiresAt}:`);
      console.log(answer.invitationUrl);
      return undefined;
    },
  },
  {
    words: ["users", "list"],
    usage: `Usage: atrium users list [--search <text>] [--limit <n>] [--after <user id>] [--json]

Lists accounts, oldest first (100 by default); --search matches part of the email or name.`,
    options: {
      search: { type: "string" },
      limit: { type: "string" },
      after: { type: "string" },
      ...json,
    },
    toCommand(v) {
      const limit = str(v, "limit");
      if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit))
        return "--limit must be a number from 1 to 9999";
      return {
        command: "users-list",
        q: str(v, "search"),
        limit: limit ? Number(limit) : undefined,
        after: str(v, "after"),
      };
    },
    print(body) {
      const items = (body as { items: Array<Record<string, unknown>> }).items;
      if (items.length === 0) console.log("No accounts.");
      else table(items, ["id", "email", "name", "emailVerified", "disabled", "createdAt"]);
      return undefined;
    },
  },
  {
    words: ["users", "show"],
    usage:
      "Usage: atrium users show <email> [--json]\n\nShows an account: its state, organizations, sessions and API keys.",
    options: json,
    argument: "email",
    toCommand: (_v, email) => ({ command: "users-show", email: email! }),
    print(body) {
      const a = body as Record<string, unknown> & { organizations: Array<Record<string, unknown>> };
      for (const key of [
        "id",
        "email",
        "name",
        "emailVerified",
        "disabled",
        "createdAt",
        "sessions",
        "apiKeys",
      ]) {
        console.log(`${`${key}:`.padEnd(15)}${String(a[key])}`);
      }
      console.log("organizations:");
      for (const o of a.organizations) console.log(`  ${o.slug} (${o.id}) — ${o.role}`);
      return undefined;
    },
  },
  {
    words: ["users", "disable"],
    usage:
      "Usage: atrium users disable <email> [--json]\n\nThe account can no longer sign in; its sessions end and its API keys are revoked at once (enabling it brings neither back).",
    options: json,
    argument: "email",
    toCommand: (_v, email) => ({ command: "users-disable", email: email! }),
    print: (body) => {
      const a = body as { email: string; sessionsRevoked: number; apiKeysRevoked: number };
      console.log(
        `Disabled ${a.email}; ${a.sessionsRevoked} session(s) ended, ${a.apiKeysRevoked} API key(s) revoked.`,
      );
      return undefined;
    },
  },
  {
    words: ["users", "enable"],
    usage:
      "Usage: atrium users enable <email> [--json]\n\nThe account can sign in again; the sessions and API keys that disabling ended stay ended.",
    options: json,
    argument: "email",
    toCommand: (_v, email) => ({ command: "users-enable", email: email! }),
    print: (body) => {
      console.log(`Enabled ${(body as { email: string }).email}.`);
      return undefined;
    },
  },
  {
    words: ["sessions", "revoke"],
    usage:
      "Usage: atrium sessions revoke --user <email> [--json]\n\nSigns the account out on every device.",
    options: { user: { type: "string" }, ...json },
    toCommand: (v) =>
      str(v, "user")
        ? { command: "sessions-revoke", email: str(v, "user")! }
        : "--user is required",
    print: (body) => {
      const a = body as { email: string; sessionsRevoked: number };
      console.log(`Ended ${a.sessionsRevoked} session(s) of ${a.email}.`);
      return undefined;
    },
  },
  {
    words: ["audit", "verify"],
    usage: `Usage: atrium audit verify [--org <id or slug>] [--heads <file>] [--json]

Recomputes the audit log's hash chains (one organization's, or all) and names the first
broken link of each chain. With ATRIUM_AUDIT_CHAIN_KEY set, keyed events are checked with it.
--heads checks the output of an earlier \`atrium audit heads --json\`, kept outside the
database: each chain must still pass through the hash saved then. Exit 0 when every chain
is intact, 1 when one is broken.`,
    options: { org: { type: "string" }, heads: { type: "string" }, ...json },
    toCommand(v) {
      const file = str(v, "heads");
      if (file === undefined) return { command: "audit-verify", org: str(v, "org") };
      const anchors = readAnchors(file);
      if (typeof anchors === "string") return anchors;
      return { command: "audit-verify", org: str(v, "org"), anchors };
    },
    print(body, v) {
      const r = body as {
        ok: boolean;
        chains: number;
        events: number;
        anchors: number;
        broken: Array<{ chainKey: string; seq: number; eventId: string | null; reason: string }>;
      };
      if (!v.json) {
        console.log(`Checked ${r.events} event(s) in ${r.chains} chain(s).`);
        if (r.anchors > 0) console.log(`Checked ${r.anchors} saved head(s).`);
        for (const b of r.broken)
          console.log(
            `BROKEN ${b.chainKey} at event #${b.seq}${b.eventId ? ` (${b.eventId})` : ""}: ${b.reason}`,
          );
        if (r.ok) console.log("Every chain is intact.");
      }
      return r.ok ? EXIT.ok : EXIT.failed;
    },
  },
  {
    words: ["audit", "heads"],
    usage: `Usage: atrium audit heads [--json]

Prints the last event of every audit chain (organization, account or system): its number,
id, time and hash. Keep the output somewhere the database's writers cannot reach: each hash
covers its whole chain, so a chain rewritten later no longer passes through it.`,
    options: json,
    toCommand: () => ({ command: "audit-heads" }),
    print(body) {
      const items = (body as { items: Array<Record<string, unknown>> }).items;
      if (items.length === 0) console.log("No audit chains.");
      else
        table(
          items.map((h) => ({
            ...h,
            chain:
              (h.organization as { slug: string } | null)?.slug ??
              (h.userId ? `user ${h.userId}` : h.chainKey),
          })),
          ["chain", "seq", "eventId", "createdAt", "algorithm", "hash"],
        );
      return undefined;
    },
  },
  {
    words: ["audit", "export"],
    usage: `Usage: atrium audit export [--org <id or slug>] [--format jsonl|csv] [--action <action>]
                           [--actor <id>] [--from <time>] [--to <time>]

Writes audit events, newest first, to standard output as JSON Lines (default) or CSV.`,
    options: {
      org: { type: "string" },
      format: { type: "string" },
      action: { type: "string" },
      actor: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
    toCommand(v) {
      const format = str(v, "format") ?? "jsonl";
      if (format !== "jsonl" && format !== "csv") return "--format must be jsonl or csv";
      return {
        command: "audit-export",
        org: str(v, "org"),
        format,
        action: str(v, "action"),
        actorId: str(v, "actor"),
        from: str(v, "from"),
        to: str(v, "to"),
      };
    },
  },
];

/** Writes a streamed answer to stdout, waiting when the pipe is full (memory stays flat). */
async function pipeToStdout(stream: AsyncIterable<string>): Promise<void> {
  for await (const chunk of stream) {
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once("drain", r));
  }
}

export async function runCommand(
  spec: CommandSpec,
  config: () => Config,
  argv: string[],
): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: spec.argument !== undefined,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`atrium: ${(error as Error).message}\n\n${spec.usage}`);
    return EXIT.usage;
  }
  if (values.help) {
    console.log(spec.usage);
    return EXIT.ok;
  }
  if (spec.argument && positionals.length !== 1) {
    console.error(`atrium: expected one ${spec.argument}\n\n${spec.usage}`);
    return EXIT.usage;
  }
  const command = spec.toCommand(values, positionals[0]);
  if (typeof command === "string") {
    console.error(`atrium: ${command}\n\n${spec.usage}`);
    return EXIT.usage;
  }
  return executeOperatorCommand(config(), command, async (result: OperatorResult) => {
    if ("stream" in result) {
      await pipeToStdout(result.stream);
      return EXIT.ok;
    }
    const body = result.body as { error?: { code: string; message: string } };
    if (result.status >= 300 || body.error) {
      if (values.json) console.log(JSON.stringify(body));
      else
        console.error(
          `atrium: ${body.error?.message ?? "the command failed"} (${body.error?.code ?? result.status})`,
        );
      if (result.status === 404) return EXIT.notFound;
      return result.status >= 500 ? EXIT.failed : EXIT.usage;
    }
    if (values.json) {
      console.log(JSON.stringify(body));
      return spec.print && spec.words[1] === "verify"
        ? (spec.print(body, values) ?? EXIT.ok)
        : EXIT.ok;
    }
    return spec.print?.(body, values) ?? EXIT.ok;
  });
}
