import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runAtrium, startServer, stopAllServers } from "../../test/support/cli.js";
import { DataDirOwnerError, secureDataDir } from "./data-dir-permissions.js";

// The real `atrium` command on an embedded data folder of its own, whatever DATABASE_URL says:
// the folder's permissions are what is under test.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const root = mkdtempSync(join(tmpdir(), "atrium-perm-"));
afterAll(async () => {
  await stopAllServers();
  rmSync(root, { recursive: true, force: true });
});
const envFor = (dataDir: string) => ({
  ATRIUM_DATA_DIR: dataDir,
  LOG_LEVEL: "silent",
  PUBLIC_URL: "http://atrium.test",
});

/** Every entry under `dir` (not following links) whose mode lets anyone but its owner in. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return;
    if ((stats.mode & 0o077) !== 0) found.push(`${path} ${(stats.mode & 0o777).toString(8)}`);
    if (stats.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return found;
}

function everything(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map((name) => join(dir, String(name)));
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("the embedded database's data folder", () => {
  const dataDir = join(root, "fresh", "data");

  it("is created 0700 with every file owner-only, the control socket included, while serving", async () => {
    const server = await startServer(envFor(dataDir));
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(everything(dataDir).length).toBeGreaterThan(100);
      expect(openToOthers(dataDir)).toEqual([]);
      const socket = lstatSync(join(dataDir, "atrium.sock"));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o077).toBe(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("has an existing folder's modes repaired at start: 0755 folders and 0666 files become owner-only", async () => {
    // As an earlier version left it.
    chmodSync(dataDir, 0o755);
    for (const path of everything(dataDir)) {
      chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o666);
    }
    expect(openToOthers(dataDir).length).toBeGreaterThan(100);
    const result = await runAtrium(["migrate"], envFor(dataDir));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(openToOthers(dataDir)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses to start on a folder owned by another user, with one line naming it and the owner",
    async () => {
      const foreign = join(root, "foreign");
      mkdirSync(foreign, { mode: 0o755 });
      chownSync(foreign, 65534, 65534);
      const result = await runAtrium(["serve"], { ...envFor(foreign), PORT: "0" });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(foreign);
      expect(lines[0]).toContain("uid 65534");
      // Nothing was written into it, and its mode was left alone.
      expect(readdirSync(foreign)).toEqual([]);
      expect(modeOf(foreign)).toBe(0o755);
    },
  );
});

describe("secureDataDir", () => {
  it("keeps each file's owner bits, and never follows a link out of the folder", () => {
    const dir = join(root, "unit");
    const outside = join(root, "outside.txt");
    mkdirSync(join(dir, "sub"), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, "sub", "script"), "", { mode: 0o755 });
    writeFileSync(join(dir, "read-only"), "", { mode: 0o444 });
    writeFileSync(outside, "", { mode: 0o644 });
    symlinkSync(outside, join(dir, "link"));
    chmodSync(dir, 0o777);
    secureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(dir, "sub"))).toBe(0o700);
    expect(modeOf(join(dir, "sub", "script"))).toBe(0o700);
    expect(modeOf(join(dir, "read-only"))).toBe(0o400);
    expect(modeOf(outside)).toBe(0o644);
  });

  it.runIf(process.getuid?.() === 0)("names the folder and both uids when refusing it", () => {
    const dir = join(root, "other");
    mkdirSync(dir);
    chownSync(dir, 65534, 65534);
    expect(() => secureDataDir(dir)).toThrow(DataDirOwnerError);
    expect(() => secureDataDir(dir)).toThrow(
      `${dir} belongs to uid 65534, not to this process (uid 0)`,
    );
  });
});
