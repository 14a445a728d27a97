import { describe, expect, it } from "vitest";
import { safeReturnPath } from "./return-path.js";

const SITE = "https://atrium.example";

describe("safeReturnPath", () => {
  it("keeps a path on this site, with its query and fragment", () => {
    expect(safeReturnPath("/o/acme/members?q=ada#top", SITE)).toBe("/o/acme/members?q=ada#top");
    expect(safeReturnPath("/invite/abc", SITE)).toBe("/invite/abc");
  });

  it.each([
    ["an absolute URL", "https://evil.example/x"],
    ["an absolute URL to this site's own host but written out", "https://atrium.example.evil.io/"],
    ["a protocol-relative URL", "//evil.example"],
    ["a backslash that browsers read as a slash", "/\\evil.example"],
    ["a backslash after the slash, encoded", "/%5Cevil.example"],
    ["an encoded protocol-relative URL", "%2F%2Fevil.example"],
    ["a slash and an encoded slash", "/%2Fevil.example"],
    ["a doubly encoded slash", "/%252Fevil.example"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["a tab inside the scheme-relative prefix", "/\t/evil.example"],
    ["a path without a leading slash", "evil.example"],
    ["a malformed escape", "/%E0%A4%A"],
    ["dot segments that collapse into //", "/.//evil.example"],
    ["parent segments that collapse into //", "/..//evil.example"],
    ["encoded parent segments", "/%2e%2e//evil.example"],
    ["nothing", ""],
  ])("sends %s to /", (_name, raw) => {
    expect(safeReturnPath(raw, SITE)).toBe("/");
  });

  it("keeps a search with an encoded space", () => {
    expect(safeReturnPath("/o/acme/members?q=ada%20lovelace", SITE)).toBe(
      "/o/acme/members?q=ada%20lovelace",
    );
  });

  it("falls back to / when there is no return path", () => {
    expect(safeReturnPath(undefined, SITE)).toBe("/");
  });
});
