import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by another Atrium process (pid ${pid}); ` +
        "stop it first, or use PostgreSQL (DATABASE_URL) to run several processes",
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is a single-process database: two processes writing one data folder would corrupt
 * it. A lock file holding the owner's pid makes the second process stop with a clear error;
 * a lock left by a process that died is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "atrium.lock");
  // The pid is written to a file of our own first and then linked into place: the lock file
  // never exists without its owner's pid in it.
  const ours = `${path}.${process.pid}`;
  writeFileSync(ours, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(ours, path);
        return () => rmSync(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const owner = Number(readFileSync(path, "utf8").trim());
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new DataDirInUseError(dataDir, owner);
        }
        rmSync(path, { force: true }); // stale: its process is gone
      }
    }
  } finally {
    rmSync(ours, { force: true });
  }
  throw new Error(`could not lock ${dataDir}`);
}
