/** What a service needs to know about the request that calls it, without knowing HTTP. */
export interface RequestMeta {
  readonly ipAddress: string;
  readonly userAgent: string | null;
  readonly requestId: string;
  /** One clock reading per request, so every row a request writes agrees on the time. */
  readonly now: Date;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
