import type { ColumnType, Generated } from "kysely";

/** Row types: what the database holds. API types live with their domain, apart from these. */

export interface UsersTable {
  id: string;
  email: string;
  email_canonical: string;
  name: string;
  password_hash: string | null;
  email_verified_at: Date | null;
  disabled_at: Date | null;
  /** Moved on by everything that voids the account's pending links (see account-tokens.ts). */
  credentials_epoch: number;
  created_at: Date;
  updated_at: Date;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: Date;
  authenticated_at: Date;
  renewed_at: Date;
  expires_at: Date;
  last_active_at: Date;
  ip_address: string | null;
  user_agent: string | null;
  /** Parsed from user_agent at sign-in (see sessions/session-device.ts); null when unknown. */
  device_browser: string | null;
  /** The browser's major version: "156". */
  device_browser_version: string | null;
  device_os: string | null;
  /** "desktop", "mobile", "tablet", "tv" or "bot". */
  device_kind: string | null;
}

export type AccountTokenPurpose = "email_verification" | "email_change" | "password_reset";

export interface AccountTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  email: string;
  /** The account's credentials epoch when the token was issued; any other epoch is dead. */
  credentials_epoch: number;
  created_at: Date;
  expires_at: Date;
}

export interface AuditEventsTable {
  id: string;
  action: string;
  actor_type: "user" | "api_key" | "system";
  actor_id: string | null;
  actor_email: string | null;
  subject_user_id: string | null;
  organization_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  created_at: Date;
  chain_key: string;
  seq: ColumnType<number, number, number>;
  prev_hash: string;
  hash: string;
  /** SHA-256, or HMAC-SHA256 under ATRIUM_AUDIT_CHAIN_KEY (see audit-chain.ts). */
  hash_alg: "sha256" | "hmac-sha256";
}

export interface AuditChainsTable {
  chain_key: string;
  last_seq: ColumnType<number, number, number>;
  last_hash: string;
}

export interface AuditPrunesTable {
  id: string;
  chain_key: string;
  through_seq: ColumnType<number, number, number>;
  through_hash: string;
  removed: ColumnType<number, number, number>;
  cutoff: Date;
  created_at: Date;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  organization_id: string | null;
  name: string;
  prefix: string;
  secret_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface KnownDevicesTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Date;
  last_used_at: Date;
}

export interface OutboxEmailsTable {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: Generated<"pending" | "sent" | "failed">;
  attempts: Generated<number>;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export interface RateLimitsTable {
  key: string;
  hits: number;
  rejected: Generated<number>;
  window_started_at: Date;
  blocked_until: Date | null;
}

export type Role = "owner" | "admin" | "member";

export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  allowed_email_domains: string[];
  created_at: Date;
  updated_at: Date;
}

export interface OrganizationFormerSlugsTable {
  slug: string;
  organization_id: string;
  replaced_at: Date;
}

export interface OrganizationMembersTable {
  id: string;
  organization_id: string;
  user_id: string;
  role: Role;
  created_at: Date;
}

export type InvitationStatus = "pending" | "accepted" | "declined" | "revoked" | "expired";

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  email_canonical: string;
  role: Role;
  delivery: "email" | "link";
  token_hash: string;
  status: InvitationStatus;
  invited_by_user_id: string | null;
  invited_by_name: string;
  created_at: Date;
  expires_at: Date;
  responded_at: Date | null;
}

export interface IdentitiesTable {
  id: string;
  user_id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date;
}

export type OAuthIntent = "sign-in" | "link" | "reauthenticate";

export interface OAuthFlowsTable {
  id: string;
  state_hash: string;
  browser_hash: string;
  provider: string;
  intent: OAuthIntent;
  nonce: string;
  code_verifier: string;
  return_to: string;
  session_id: string | null;
  invitation_token_hash: string | null;
  created_at: Date;
  expires_at: Date;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  account_tokens: AccountTokensTable;
  audit_events: AuditEventsTable;
  outbox_emails: OutboxEmailsTable;
  rate_limits: RateLimitsTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_former_slugs: OrganizationFormerSlugsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_chains: AuditChainsTable;
  audit_prunes: AuditPrunesTable;
  known_devices: KnownDevicesTable;
  identities: IdentitiesTable;
  oauth_flows: OAuthFlowsTable;
}

export type UserRow = UsersTable;
export type SessionRow = SessionsTable;
export type AccountTokenRow = AccountTokensTable;
export type OrganizationRow = OrganizationsTable;
export type MemberRow = OrganizationMembersTable;
export type InvitationRow = InvitationsTable;
export type ApiKeyRow = ApiKeysTable;
export type KnownDeviceRow = KnownDevicesTable;
export type AuditEventRow = AuditEventsTable;
export type IdentityRow = IdentitiesTable;
export type OAuthFlowRow = OAuthFlowsTable;
