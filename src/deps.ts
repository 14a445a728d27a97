import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PasswordHasher } from "./accounts/password-hasher.js";
import type { Config } from "./config.js";
import type { DB } from "./db/schema.js";
import type { BackgroundTasks } from "./lib/background-tasks.js";
import type { Clock } from "./lib/request-meta.js";
import type { SessionCache } from "./sessions/session-cache.js";

/** What services need from the running application; built once by buildApp. */
export interface Deps {
  readonly config: Config;
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly passwords: PasswordHasher;
  readonly sessionCache: SessionCache;
  /** Work that runs after the answer (a password reset request's lookup and email). */
  readonly background: BackgroundTasks;
}
