import { describe, expect, it } from "vitest";
import { splitAddresses } from "./invitation-words";

describe("the addresses in the Invite box", () => {
  it("splits on commas, semicolons, spaces and new lines, and drops empty pieces", () => {
    expect(splitAddresses(" a@x.com,b@x.com;; c@x.com\n\n d@x.com\te@x.com ,")).toEqual([
      "a@x.com",
      "b@x.com",
      "c@x.com",
      "d@x.com",
      "e@x.com",
    ]);
    expect(splitAddresses(" \n, ;")).toEqual([]);
  });

  it("takes the addresses out of a list copied from a mail program", () => {
    expect(
      splitAddresses('"Smith, Alice" <alice@acme.com>; Bob Kahn <bob@acme.com>, carol@acme.com'),
    ).toEqual(["alice@acme.com", "bob@acme.com", "carol@acme.com"]);
  });

  it("never loses an address next to a named one, nor a quoted one", () => {
    expect(splitAddresses('a@x.com Bob <b@x.com> "c@x.com"')).toEqual([
      "a@x.com",
      "b@x.com",
      '"c@x.com"',
    ]);
  });

  it("keeps what is not an address, for the server to refuse by name", () => {
    expect(splitAddresses("alice, bob@acme")).toEqual(["alice", "bob@acme"]);
  });
});
