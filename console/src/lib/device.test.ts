import { describe, expect, it } from "vitest";
import { deviceLine } from "./device";

describe("the device line", () => {
  it("names the browser's major version and the operating system", () => {
    expect(
      deviceLine({
        userAgent:
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.7000.12 Safari/537.36",
      }),
    ).toBe("Chrome 156 on Linux");
    expect(
      deviceLine({
        userAgent:
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      }),
    ).toBe("Safari 18 on iOS");
    expect(
      deviceLine({
        userAgent:
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
      }),
    ).toBe("Firefox 140 on Windows");
  });

  it("prefers the server's parsed device", () => {
    expect(
      deviceLine({ userAgent: "curl/8.5.0", device: { browser: "Edge 150", os: "macOS" } }),
    ).toBe("Edge 150 on macOS");
    expect(deviceLine({ userAgent: null, device: "Chrome 156 on Linux" })).toBe(
      "Chrome 156 on Linux",
    );
  });

  it("names a script by its program, and says when nothing is known", () => {
    expect(deviceLine({ userAgent: "curl/8.5.0" })).toBe("curl/8.5.0");
    expect(deviceLine({ userAgent: null })).toBe("Unknown device");
  });
});
