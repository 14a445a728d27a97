// Generated from GET /api/v1/openapi.json by `npm run generate:client`. Do not edit:
// src/client/client.test.ts fails when this file and the document disagree.

export interface Schemas {
  ApiKey: {
    id: string;
    name: string;
    prefix: string;
    organizationId: string | null;
    createdAt: string;
    lastUsedAt: string | null;
    expiresAt: string;
  };
  AuditEvent: {
    id: string;
    action: string;
    actor: {
      type: "user" | "api_key" | "system";
      id: string | null;
      email?: string;
    };
    organizationId?: string;
    target?: {
      type: string;
      id: string;
    };
    ipAddress?: string;
    userAgent?: string;
    createdAt: string;
    metadata: {
      [key: string]: unknown;
    };
  };
  Member: {
    id: string;
    user: {
      id: string;
      email: string;
      name: string;
    };
    role: "owner" | "admin" | "member";
    joinedAt: string;
  };
  Session: {
    id: string;
    current: boolean;
    createdAt: string;
    lastActiveAt: string;
    expiresAt: string;
    ipAddress: string | null;
    userAgent: string | null;
  };
  User: {
    id: string;
    email: string;
    name: string;
    emailVerified: boolean;
    createdAt: string;
  };
}

export interface Operations {
  "GET /api/v1/auth/oauth/{provider}/callback": {
    params: {
      provider: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/auth/oauth/{provider}/start": {
    params: {
      provider: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "POST /api/v1/auth/password-reset": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      email: string;
    };
    response: void;
  };
  "POST /api/v1/auth/password-reset/confirm": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      token: string;
      password: string;
    };
    response: void;
  };
  "GET /api/v1/auth/providers": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: {
      items: Array<{
        id: string;
        name: string;
      }>;
    };
  };
  "POST /api/v1/auth/reauthenticate": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      password: string;
    };
    response: {
      user: Schemas["User"];
    };
  };
  "POST /api/v1/auth/sign-in": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      email: string;
      password: string;
    };
    response: {
      user: Schemas["User"];
    };
  };
  "POST /api/v1/auth/sign-out": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "POST /api/v1/auth/sign-up": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      email: string;
      password: string;
      name: string;
      invitationToken?: string;
    };
    response: {
      user: Schemas["User"];
    };
  };
  "POST /api/v1/auth/verify-email": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      token: string;
    };
    response: void;
  };
  "GET /api/v1/invitations/{token}": {
    params: {
      token: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: {
      organization: {
        name: string;
      };
      role: "owner" | "admin" | "member";
      invitedBy: {
        name: string;
      };
      email: string;
      expiresAt: string;
      status: "pending";
    };
  };
  "POST /api/v1/invitations/{token}/accept": {
    params: {
      token: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: {
      organization: {
        id: string;
        slug: string;
        name: string;
      };
      role: "owner" | "admin" | "member";
      joinedAt: string;
    };
  };
  "POST /api/v1/invitations/{token}/decline": {
    params: {
      token: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/me": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: {
      id: string;
      email: string;
      name: string;
      emailVerified: boolean;
      createdAt: string;
    };
  };
  "PATCH /api/v1/me": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name?: string;
    };
    response: {
      id: string;
      email: string;
      name: string;
      emailVerified: boolean;
      createdAt: string;
    };
  };
  "DELETE /api/v1/me": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/me/api-keys": {
    params: Record<string, never>;
    query: {
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<Schemas["ApiKey"]>;
      nextCursor: string | null;
    };
  };
  "POST /api/v1/me/api-keys": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      expiresAt?: string;
      organizationId?: string;
    };
    response: {
      apiKey: Schemas["ApiKey"];
      secret: string;
    };
  };
  "DELETE /api/v1/me/api-keys/{id}": {
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/me/audit-events": {
    params: Record<string, never>;
    query: {
      action?: string;
      actorId?: string;
      from?: string;
      to?: string;
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<Schemas["AuditEvent"]>;
      nextCursor: string | null;
    };
  };
  "GET /api/v1/me/audit-events/export": {
    params: Record<string, never>;
    query: {
      action?: string;
      actorId?: string;
      from?: string;
      to?: string;
      format?: "jsonl" | "csv";
    };
    body: undefined;
    response: void;
  };
  "POST /api/v1/me/email": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      newEmail: string;
    };
    response: void;
  };
  "POST /api/v1/me/email-verification": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/me/invitations": {
    params: Record<string, never>;
    query: {
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<{
        id: string;
        organization: {
          id: string;
          name: string;
        };
        role: "owner" | "admin" | "member";
        invitedBy: {
          name: string;
        };
        expiresAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  "POST /api/v1/me/invitations/{id}/accept": {
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: {
      organization: {
        id: string;
        slug: string;
        name: string;
      };
      role: "owner" | "admin" | "member";
      joinedAt: string;
    };
  };
  "POST /api/v1/me/invitations/{id}/decline": {
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/me/organizations": {
    params: Record<string, never>;
    query: {
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<{
        organization: {
          id: string;
          slug: string;
          name: string;
        };
        role: "owner" | "admin" | "member";
        joinedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  "POST /api/v1/me/password": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      currentPassword: string;
      newPassword: string;
      revokeOtherSessions: boolean;
    };
    response: void;
  };
  "GET /api/v1/me/sessions": {
    params: Record<string, never>;
    query: {
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<Schemas["Session"]>;
      nextCursor: string | null;
    };
  };
  "DELETE /api/v1/me/sessions": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "DELETE /api/v1/me/sessions/{id}": {
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/openapi.json": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "POST /api/v1/organizations": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      slug?: string;
    };
    response: {
      id: string;
      slug: string;
      name: string;
      createdAt: string;
      allowedEmailDomains: Array<string>;
      myRole: "owner" | "admin" | "member";
    };
  };
  "GET /api/v1/organizations/{org}": {
    params: {
      org: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: {
      id: string;
      slug: string;
      name: string;
      createdAt: string;
      allowedEmailDomains: Array<string>;
      myRole: "owner" | "admin" | "member";
    };
  };
  "PATCH /api/v1/organizations/{org}": {
    params: {
      org: string;
    };
    query: Record<string, never>;
    body: {
      name?: string;
      slug?: string;
      allowedEmailDomains?: Array<string>;
    };
    response: {
      id: string;
      slug: string;
      name: string;
      createdAt: string;
      allowedEmailDomains: Array<string>;
      myRole: "owner" | "admin" | "member";
    };
  };
  "DELETE /api/v1/organizations/{org}": {
    params: {
      org: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /api/v1/organizations/{org}/audit-events": {
    params: {
      org: string;
    };
    query: {
      action?: string;
      actorId?: string;
      from?: string;
      to?: string;
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<Schemas["AuditEvent"]>;
      nextCursor: string | null;
    };
  };
  "GET /api/v1/organizations/{org}/audit-events/export": {
    params: {
      org: string;
    };
    query: {
      action?: string;
      actorId?: string;
      from?: string;
      to?: string;
      format?: "jsonl" | "csv";
    };
    body: undefined;
    response: void;
  };
  "GET /api/v1/organizations/{org}/invitations": {
    params: {
      org: string;
    };
    query: {
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<{
        id: string;
        email: string;
        role: "owner" | "admin" | "member";
        delivery: "email" | "link";
        invitedBy: {
          name: string;
        };
        createdAt: string;
        expiresAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  "POST /api/v1/organizations/{org}/invitations": {
    params: {
      org: string;
    };
    query: Record<string, never>;
    body: {
      emails: Array<string>;
      role: "owner" | "admin" | "member";
      delivery: "email" | "link";
    };
    response: {
      invitations: Array<{
        id: string;
        email: string;
        role: "owner" | "admin" | "member";
        expiresAt: string;
        url?: string;
      }>;
      rejected: Array<{
        email: string;
        code: string;
      }>;
    };
  };
  "DELETE /api/v1/organizations/{org}/invitations/{id}": {
    params: {
      org: string;
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "POST /api/v1/organizations/{org}/invitations/{id}/resend": {
    params: {
      org: string;
      id: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: {
      invitation: {
        id: string;
        email: string;
        role: "owner" | "admin" | "member";
        expiresAt: string;
        url?: string;
      };
    };
  };
  "GET /api/v1/organizations/{org}/members": {
    params: {
      org: string;
    };
    query: {
      q?: string;
      role?: "owner" | "admin" | "member";
      limit?: string;
      cursor?: string;
    };
    body: undefined;
    response: {
      items: Array<Schemas["Member"]>;
      nextCursor: string | null;
    };
  };
  "PATCH /api/v1/organizations/{org}/members/{memberId}": {
    params: {
      org: string;
      memberId: string;
    };
    query: Record<string, never>;
    body: {
      role: "owner" | "admin" | "member";
    };
    response: {
      id: string;
      user: {
        id: string;
        email: string;
        name: string;
      };
      role: "owner" | "admin" | "member";
      joinedAt: string;
    };
  };
  "DELETE /api/v1/organizations/{org}/members/{memberId}": {
    params: {
      org: string;
      memberId: string;
    };
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /healthz": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /metrics": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
  "GET /readyz": {
    params: Record<string, never>;
    query: Record<string, never>;
    body: undefined;
    response: void;
  };
}
