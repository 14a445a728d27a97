import { describe, expect, it } from "vitest";
import { canonicalDomain, checkEmail } from "./email-address.js";

function accepted(input: string) {
  const result = checkEmail(input);
  if (!result.ok)
    throw new Error(`expected ${JSON.stringify(input)} to be accepted: ${result.reason}`);
  return result;
}

describe("checkEmail canonical form", () => {
  it("keeps the address as typed but trimmed, and lowercases the canonical form", () => {
    expect(accepted("  Ada.Lovelace@Example.COM \t")).toEqual({
      ok: true,
      email: "Ada.Lovelace@Example.COM",
      canonical: "ada.lovelace@example.com",
      domain: "example.com",
    });
  });

  it("keeps a +tag as written, in both forms", () => {
    const result = accepted("Ada+Newsletter@example.com");
    expect(result.email).toBe("Ada+Newsletter@example.com");
    expect(result.canonical).toBe("ada+newsletter@example.com");
  });

  it("gives decomposed and precomposed spellings the same NFC canonical form", () => {
    const decomposed = accepted("Jose\u0301@example.com");
    const precomposed = accepted("Jos\u00e9@example.com");
    expect(decomposed.email).toBe("Jos\u00e9@example.com");
    expect(decomposed.canonical).toBe("jos\u00e9@example.com");
    expect(precomposed.canonical).toBe(decomposed.canonical);
  });

  it("turns an internationalised domain into lowercase punycode", () => {
    const result = accepted("reader@B\u00fccher.Example");
    expect(result.email).toBe("reader@B\u00fccher.Example");
    expect(result.domain).toBe("xn--bcher-kva.example");
    expect(result.canonical).toBe("reader@xn--bcher-kva.example");
  });

  it("accepts the printable symbols a dot-atom local part allows", () => {
    expect(accepted("o'brien!#$%&*/=?^_`{|}~-x@example.org").canonical).toBe(
      "o'brien!#$%&*/=?^_`{|}~-x@example.org",
    );
  });
});

describe("checkEmail refusals", () => {
  const refused: Array<[string, string]> = [
    ["an empty string", ""],
    ["only spaces", "   "],
    ["a zero-width space", "ada\u200b@example.com"],
    ["a zero-width joiner in the domain", "ada@exa\u200dmple.com"],
    ["a right-to-left override", "ada\u202e@example.com"],
    ["a left-to-right mark", "\u200eada@example.com"],
    ["a byte order mark inside", "ada\ufeff@example.com"],
    ["a NUL character", "ada\u0000@example.com"],
    ["a line break inside", "ada@example.com\r\nBcc: eve@example.net"],
    ["a lone line feed inside", "ada\n@example.com"],
    // URL parsing would cut these at the slash, query or fragment and keep "acme.com".
    ["a path after the domain", "bob@acme.com/evil.io"],
    ["a query after the domain", "bob@evil.io?acme.com"],
    ["a fragment after the domain", "bob@evil.io#acme.com"],
    ["a backslash in the domain", "bob@acme.com\\evil.io"],
    ["a fullwidth at-sign", "ada\uff20example.com"],
    ["a small at-sign", "ada\ufe6bexample.com"],
    ["a fullwidth at-sign beside a real one", "ada\uff20evil@example.com"],
    ["a space inside", "ada lovelace@example.com"],
    ["a no-break space inside", "ada\u00a0lovelace@example.com"],
    ["a trailing dot on the domain", "ada@example.com."],
    ["a domain without a TLD", "ada@localhost"],
    ["a numeric TLD", "ada@example.123"],
    ["two at-signs", "ada@lovelace@example.com"],
    ["no at-sign", "ada.example.com"],
    ["an empty local part", "@example.com"],
    ["an empty domain", "ada@"],
    ["a leading dot in the local part", ".ada@example.com"],
    ["two dots in a row", "ada..lovelace@example.com"],
    ["a quoted local part", '"ada lovelace"@example.com'],
    ["an IP literal domain", "ada@[127.0.0.1]"],
    ["a label starting with a hyphen", "ada@-example.com"],
    ["an empty label", "ada@example..com"],
    ["an underscore in the domain", "ada@exa_mple.com"],
  ];

  it.each(refused)("refuses %s", (_label, input) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/\S/);
  });
});

describe("checkEmail length limits", () => {
  // 189 characters: three labels of 63, 63 and 57 characters and ".com".
  const domainOf = (length: number) =>
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(length - 63 - 63 - 4 - 2)}.com`;

  it("accepts a local part of exactly 64 bytes and refuses 65", () => {
    expect(checkEmail(`${"x".repeat(64)}@example.com`).ok).toBe(true);
    expect(checkEmail(`${"x".repeat(65)}@example.com`)).toEqual({
      ok: false,
      reason: "has a local part over 64 bytes",
    });
  });

  it("counts the local part in UTF-8 bytes, not characters", () => {
    expect(checkEmail(`${"\u00e9".repeat(32)}@example.com`).ok).toBe(true);
    expect(checkEmail(`${"\u00e9".repeat(33)}@example.com`).ok).toBe(false);
  });

  it("accepts a whole address of exactly 254 bytes and refuses 255", () => {
    const at254 = `${"x".repeat(64)}@${domainOf(189)}`;
    const at255 = `${"x".repeat(64)}@${domainOf(190)}`;
    expect(at254).toHaveLength(254);
    expect(at255).toHaveLength(255);
    expect(checkEmail(at254).ok).toBe(true);
    expect(checkEmail(at255)).toEqual({ ok: false, reason: "is longer than 254 bytes" });
  });

  it("refuses a domain label longer than 63 characters", () => {
    expect(checkEmail(`ada@${"d".repeat(63)}.com`).ok).toBe(true);
    expect(checkEmail(`ada@${"d".repeat(64)}.com`).ok).toBe(false);
  });
});

describe("checkEmail on hostile input", () => {
  const pathological = [
    "a".repeat(100_000),
    `${"a".repeat(100_000)}@example.com`,
    `${"a.".repeat(50_000)}@example.com`,
    `ada@${"a.".repeat(50_000)}`,
    `${"a".repeat(50_000)}!${"a".repeat(50_000)}@`,
    "@".repeat(100_000),
    "\u200b".repeat(100_000),
    `${" ".repeat(50_000)}ada@example.com${" ".repeat(50_000)}x`,
  ];

  it("answers every 100,000-character input quickly, in time linear in its length", () => {
    for (const input of pathological) {
      const started = performance.now();
      expect(checkEmail(input).ok).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it("answers pathological local parts just under the length limit quickly", () => {
    const nearLimit = [
      `${"a.".repeat(31)}a!@example.com`,
      `${"a".repeat(63)}.@example.com`,
      `${"a-".repeat(32)}@${"a-".repeat(90)}.com`,
    ];
    for (const input of nearLimit) {
      const started = performance.now();
      checkEmail(input);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

describe("canonicalDomain", () => {
  it("lowercases and trims", () => {
    expect(canonicalDomain(" ACME.com ")).toBe("acme.com");
  });

  it("refuses a trailing dot rather than dropping it", () => {
    expect(canonicalDomain("acme.com.")).toBeUndefined();
  });

  it("tells look-alike and suffix-sharing domains apart", () => {
    const acme = canonicalDomain("acme.com");
    for (const other of ["acme.com.evil.io", "evil-acme.com", "sub.acme.com", "\u0430cme.com"]) {
      const canonical = canonicalDomain(other);
      expect(canonical).toBeDefined();
      expect(canonical).not.toBe(acme);
    }
    expect(canonicalDomain("\u0430cme.com")).toMatch(/^xn--/);
  });

  it("refuses what is not a hostname", () => {
    for (const input of ["", "localhost", "acme..com", "acme com", "acme.com\u200b", "a_b.com"]) {
      expect(canonicalDomain(input)).toBeUndefined();
    }
  });

  it("refuses a 100,000-character domain quickly", () => {
    const started = performance.now();
    expect(canonicalDomain(`${"a.".repeat(50_000)}com`)).toBeUndefined();
    expect(canonicalDomain("a".repeat(100_000))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
