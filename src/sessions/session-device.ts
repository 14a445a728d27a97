import Bowser from "bowser";
import type { SessionRow } from "../db/schema.js";

export type DeviceColumns = Pick<
  SessionRow,
  "device_browser" | "device_browser_version" | "device_os" | "device_kind"
>;

/** The device as the sessions API shows it: the parts, and the line a person recognises. */
export interface Device {
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  kind: string | null;
  /** "Chrome 156 on Linux"; a script's own name ("curl/8.5.0"); or "Unknown device". */
  label: string;
}

const NO_DEVICE: DeviceColumns = {
  device_browser: null,
  device_browser_version: null,
  device_os: null,
  device_kind: null,
};

/** Parses a user agent once, when its session starts; anything bowser does not know is null. */
export function parseDevice(userAgent: string | null): DeviceColumns {
  if (!userAgent) return NO_DEVICE;
  const parsed = Bowser.parse(userAgent);
  const major = parsed.browser.version?.split(".")[0];
  return {
    device_browser: parsed.browser.name || null,
    device_browser_version: parsed.browser.name && major ? major : null,
    device_os: parsed.os.name || null,
    device_kind: parsed.platform.type || null,
  };
}

/**
 * The session's device, from the columns stored at sign-in. A session with none stored (one
 * from before they existed, or a script's, where there is nothing to find) has its user agent
 * parsed here instead: the same answer, at the cost of one parse.
 */
export function deviceOf(row: DeviceColumns & Pick<SessionRow, "user_agent">): Device {
  const stored = row.device_browser || row.device_os || row.device_kind;
  const columns = stored ? row : parseDevice(row.user_agent);
  const browser = columns.device_browser;
  const version = columns.device_browser_version;
  const os = columns.device_os;
  const named = browser && version ? `${browser} ${version}` : browser;
  return {
    browser,
    browserVersion: version,
    os,
    kind: columns.device_kind,
    label: deviceLabel(named, os, row.user_agent),
  };
}

function deviceLabel(browser: string | null, os: string | null, userAgent: string | null): string {
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return (browser ?? os) as string;
  // A script (curl, a library) names itself first: its program and version, kept short.
  return userAgent?.split(/[\s(]/)[0]?.slice(0, 40) || "Unknown device";
}
