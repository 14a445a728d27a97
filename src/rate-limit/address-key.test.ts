import { describe, expect, it } from "vitest";
import { addressKey } from "./address-key.js";

describe("addressKey", () => {
  it("keeps an IPv4 address as it is", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("10.0.0.1")).toBe("10.0.0.1");
  });

  it("groups IPv6 addresses by their /64, however they are written", () => {
    const key = "2001:db8:85a3:12::/64";
    for (const address of [
      "2001:db8:85a3:12::1",
      "2001:db8:85a3:12:ffff:ffff:ffff:fffe",
      "2001:0DB8:85A3:0012:0000:0000:0000:0001",
      "2001:db8:85a3:12:1:2:3:4%eth0",
      "2001:db8:85a3:12::192.0.2.1",
    ])
      expect(addressKey(address), address).toBe(key);
    expect(addressKey("2001:db8:85a3:13::1")).toBe("2001:db8:85a3:13::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1")).toBe("fe80:0:0:0::/64");
    expect(addressKey("2001:db8::")).toBe("2001:db8:0:0::/64");
  });

  it("treats IPv4-mapped IPv6 as the IPv4 address", () => {
    expect(addressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("::FFFF:c000:0201")).toBe("192.0.2.1");
    expect(addressKey("0:0:0:0:0:ffff:192.0.2.1")).toBe("192.0.2.1");
    // Not mapped: the IPv4-compatible and NAT64 forms stay IPv6.
    expect(addressKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("passes through what is not an address", () => {
    expect(addressKey("unknown")).toBe("unknown");
  });
});
