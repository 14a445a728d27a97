import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix =
  | "usr"
  | "org"
  | "mem"
  | "inv"
  | "ses"
  | "key"
  | "evt"
  | "tok"
  | "msg"
  | "dev"
  | "idn"
  | "flw";

let lastTime = -1;
let lastRandom = 0n;
const RANDOM_MAX = (1n << 80n) - 1n;

function encode(value: bigint, length: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

/**
 * An opaque identifier with a type prefix and a time-sortable body (48-bit millisecond time
 * then 80 random bits, Crockford base32, as in ULID), so ids sort by creation in indexes.
 * Within one process, ids of the same millisecond increase (ULID's monotonic mode), so
 * "newest first" holds even for the several events of one request.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const random =
    now === lastTime && lastRandom < RANDOM_MAX
      ? lastRandom + 1n
      : BigInt(`0x${randomBytes(10).toString("hex")}`);
  lastTime = now;
  lastRandom = random;
  return `${prefix}_${encode(BigInt(now), 10)}${encode(random, 16)}`;
}

const ID_PATTERN = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
