/**
 * The device a session signed in from, parsed from its user agent once, when the session is
 * created (see sessions/session-device.ts), so that listing sessions parses nothing. Sessions
 * from before this migration have none; they are parsed when listed until they end.
 */
export const up = /* sql */ `
ALTER TABLE sessions
  ADD COLUMN device_browser text,
  ADD COLUMN device_browser_version text,
  ADD COLUMN device_os text,
  ADD COLUMN device_kind text;
`;
