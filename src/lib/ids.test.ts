import { describe, expect, it } from "vitest";
import { type IdPrefix, isId, newId } from "./ids.js";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** The millisecond time encoded in the first ten characters of an id's body. */
function timeOf(id: string): number {
  const body = id.slice(id.indexOf("_") + 1);
  let time = 0;
  for (const char of body.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}

describe("newId", () => {
  const prefixes: IdPrefix[] = ["usr", "org", "mem", "inv", "ses", "key", "evt", "tok", "msg"];

  it.each(prefixes)(
    "gives a %s id its prefix and a 26-character Crockford base32 body",
    (prefix) => {
      const id = newId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`));
      expect(isId(id, prefix)).toBe(true);
    },
  );

  it("encodes the creation time in the first ten characters of the body", () => {
    const now = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
    expect(timeOf(newId("usr", now))).toBe(now);
    expect(newId("usr", 0).slice(4, 14)).toBe("0000000000");
    expect(newId("usr", 2 ** 48 - 1).slice(4, 14)).toBe("7zzzzzzzzz");
  });

  it("sorts ids by creation time, including one millisecond apart", () => {
    const base = Date.UTC(2030, 5, 1);
    const times = [base + 1, base - 86_400_000, base, base + 31, base + 32, base + 1_000_000, 1];
    const ids = times.map((time) => ({ time, id: newId("evt", time) }));
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : 1)).map((entry) => entry.time);
    expect(byId).toEqual([...times].sort((a, b) => a - b));
  });

  it("sorts ids made one after another in order of their milliseconds", async () => {
    const first = newId("ses");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = newId("ses");
    expect(first < second).toBe(true);
  });

  it("makes ids that differ within one millisecond", () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 5000 }, () => newId("key", now)));
    expect(ids.size).toBe(5000);
  });

  it("uses all 80 random bits: every base32 digit appears in the random part", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) for (const char of newId("tok", 0).slice(14)) seen.add(char);
    expect([...seen].sort().join("")).toBe(CROCKFORD);
  });
});

describe("isId", () => {
  const id = newId("usr", Date.UTC(2025, 0, 1));

  it("refuses an id with another prefix", () => {
    expect(isId(id, "org")).toBe(false);
    expect(isId(`org${id.slice(3)}`, "usr")).toBe(false);
  });

  it("refuses the wrong length, capitals and letters outside Crockford's alphabet", () => {
    expect(isId(id.slice(0, -1), "usr")).toBe(false);
    expect(isId(`${id}0`, "usr")).toBe(false);
    expect(isId(id.toUpperCase(), "usr")).toBe(false);
    for (const letter of ["i", "l", "o", "u"]) {
      expect(isId(`${id.slice(0, -1)}${letter}`, "usr")).toBe(false);
    }
    expect(isId(`${id}\n`, "usr")).toBe(false);
    expect(isId("usr_", "usr")).toBe(false);
  });
});

describe("ids made in the same millisecond", () => {
  it("keep the order in which they were made", () => {
    const now = Date.parse("2030-05-06T07:08:09.010Z");
    const ids = Array.from({ length: 1000 }, () => newId("evt", now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });
});
