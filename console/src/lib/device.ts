import Bowser from "bowser";

/** What the sessions API says about a device (`device`, once the server parses it). */
export interface DeviceInfo {
  userAgent: string | null;
  device?: { browser?: string | null; os?: string | null; kind?: string | null } | string | null;
}

/** "Chrome 156" from a name and a full version. */
function withMajor(name: string | undefined, version: string | undefined): string | null {
  if (!name) return null;
  const major = version?.split(".")[0];
  return major ? `${name} ${major}` : name;
}

/**
 * The line a person recognises their device by: "Chrome 156 on Linux". The server's parsed
 * `device` wins when the API gives one; otherwise the user agent is read here.
 */
export function deviceLine(session: DeviceInfo): string {
  const parsed = session.device;
  if (typeof parsed === "string" && parsed) return parsed;
  if (parsed && typeof parsed === "object" && (parsed.browser || parsed.os)) {
    return [parsed.browser, parsed.os].filter(Boolean).join(" on ");
  }
  if (!session.userAgent) return "Unknown device";
  const result = Bowser.parse(session.userAgent);
  const browser = withMajor(result.browser.name, result.browser.version);
  const os = result.os.name;
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return (browser ?? os)!;
  // A script (curl, a library): its own name, short.
  return session.userAgent.split(/[\s(]/)[0]?.slice(0, 40) || "Unknown device";
}
