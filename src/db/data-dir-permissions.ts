import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats, statSync } from "node:fs";
import { join, resolve } from "node:path";

export class DataDirOwnerError extends Error {
  override name = "DataDirOwnerError";
  constructor(dataDir: string, owner: number, uid: number) {
    super(
      `the data folder ${dataDir} belongs to uid ${owner}, not to this process (uid ${uid}); ` +
        "run Atrium as its owner or give the folder to this user",
    );
  }
}

/** Owner-only: rwx for folders, the owner's own bits for files (0666 becomes 0600). */
function ownerOnly(stats: Stats): number {
  return stats.isDirectory() ? 0o700 : stats.mode & 0o700;
}

function restrict(path: string, stats: Stats): void {
  // A link is never followed: it could lead a chmod out of the folder.
  if (stats.isSymbolicLink()) return;
  if ((stats.mode & 0o777) !== ownerOnly(stats)) chmodSync(path, ownerOnly(stats));
  if (!stats.isDirectory()) return;
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    restrict(child, lstatSync(child));
  }
}

/**
 * The embedded database's files hold everything, live reset links in the WAL included, so the
 * data folder is the owner's alone: created 0700, and an existing folder's modes repaired
 * recursively (PGlite writes its files 0666). A folder owned by another user is refused: this
 * process could not keep that user out of it.
 */
export function secureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  if (uid === undefined) return; // no POSIX owners or modes (Windows)
  const stats = statSync(dataDir);
  if (stats.uid !== uid) throw new DataDirOwnerError(resolve(dataDir), stats.uid, uid);
  restrict(dataDir, stats);
}
