import { describe, expect, it } from "vitest";
import { printable } from "./printable.js";

describe("printable", () => {
  it("writes out C0 controls, DEL and C1 controls as \\xHH", () => {
    expect(printable("a\u0000b\tc\r\nd\u001b[31m", 100)).toBe("a\\x00b\\x09c\\x0d\\x0ad\\x1b[31m");
    expect(printable("x\u007fy", 100)).toBe("x\\x7fy");
    expect(printable("\u0080\u0085\u009b31m\u009d0;title\u009c", 100)).toBe(
      "\\x80\\x85\\x9b31m\\x9d0;title\\x9c",
    );
  });

  it("keeps printable text, accents and emoji as they are, and cuts to the limit", () => {
    expect(printable("Mozilla/5.0 (X11; Linux) Ünïcødé 🙂 \u00a0", 100)).toBe(
      "Mozilla/5.0 (X11; Linux) Ünïcødé 🙂 \u00a0",
    );
    expect(printable("a".repeat(600), 512)).toHaveLength(512);
    expect(printable("\u0085".repeat(200), 512)).toHaveLength(512);
  });
});
