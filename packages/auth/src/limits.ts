import { randomUUID } from "node:crypto";
import type { PrismaClient } from "./generated/prisma/client.js";

/** The limits of one key that `admit` enforces; null: no such limit. */
export interface RequestLimits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
}

export type Admission =
  | {
      admitted: true;
      /** Release it when the request is answered (`max_parallel_requests`); null when the key has no such limit. */
      leaseId: string | null;
      /** What is left of this minute's rpm_limit / tpm_limit after this request; null: no such limit. */
      remainingRequests: number | null;
      remainingTokens: number | null;
    }
  | {
      admitted: false;
      limit: "rpm_limit" | "tpm_limit" | "max_parallel_requests";
      /** The count the limit was reached with: requests or tokens this minute, or requests in flight. */
      current: number;
      /** When trying again can succeed. */
      retryAfterMs: number;
      remainingRequests: number | null;
      remainingTokens: number | null;
    };

/**
 * Per-key rate limits shared by every process that reaches the same store: fixed one-minute windows for rpm and
 * tpm, and leases for requests in flight (a lease expires on its own, so a process that died holding one frees its
 * slot after `leaseMs`).
 */
export interface RateLimitStore {
  admit(token: string, limits: RequestLimits, leaseMs: number): Promise<Admission>;
  release(leaseId: string): Promise<void>;
  /** Embedding tokens are known after the call: counted then, refusing the key's next request once over tpm_limit. */
  addTokens(token: string, tokens: number): Promise<void>;
}

export interface BudgetStore {
  /** The key's spend (USD) in the budget window that starts at `windowStart`. */
  spendInWindow(token: string, windowStart: Date): Promise<number>;
}

const remaining = (limit: number | null, used: number) => (limit === null ? null : Math.max(0, limit - used));

type Run = <T>(operation: () => Promise<T>) => Promise<T>;

export function createPostgresRateLimits(prisma: PrismaClient, run: Run): RateLimitStore & { sweep(): Promise<void> } {
  return {
    admit: (token, limits, leaseMs) =>
      run(() =>
        prisma.$transaction(async (transaction) => {
          const windowRows = await transaction.$queryRaw<Array<{ requests: number; tokens: number; reset_ms: number }>>`
            SELECT COALESCE(w.requests, 0)::int AS requests, COALESCE(w.tokens, 0)::float8 AS tokens,
                   (extract(epoch FROM (date_trunc('minute', now()) + interval '1 minute' - now())) * 1000)::float8 AS reset_ms
            FROM (SELECT 1) AS one LEFT JOIN vs_rate_limit_windows w ON w.token = ${token} AND w.window_start = date_trunc('minute', now())`;
          const window = windowRows[0] ?? { requests: 0, tokens: 0, reset_ms: 60_000 };
          const refuse = (limit: "rpm_limit" | "tpm_limit" | "max_parallel_requests", current: number, retryAfterMs: number): Admission => ({
            admitted: false,
            limit,
            current,
            retryAfterMs,
            remainingRequests: remaining(limits.rpm_limit, window.requests),
            remainingTokens: remaining(limits.tpm_limit, window.tokens),
          });
          if (limits.tpm_limit !== null && window.tokens >= limits.tpm_limit) return refuse("tpm_limit", window.tokens, window.reset_ms);
          if (limits.rpm_limit !== null && window.requests >= limits.rpm_limit) return refuse("rpm_limit", window.requests, window.reset_ms);

          let leaseId: string | null = null;
          if (limits.max_parallel_requests !== null) {
            // One admission at a time per key, in every process: count and insert must not interleave.
            await transaction.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`vs-parallel:${token}`}))::text`;
            await transaction.$executeRaw`DELETE FROM vs_parallel_leases WHERE token = ${token} AND expires_at <= now()`;
            const inFlight = await transaction.$queryRaw<Array<{ count: number; next_expiry_ms: number | null }>>`
              SELECT count(*)::int AS count, (extract(epoch FROM (min(expires_at) - now())) * 1000)::float8 AS next_expiry_ms FROM vs_parallel_leases WHERE token = ${token}`;
            const current = inFlight[0]?.count ?? 0;
            if (current >= limits.max_parallel_requests)
              return refuse("max_parallel_requests", current, Math.min(1_000, Math.max(1, inFlight[0]?.next_expiry_ms ?? 1_000)));
            leaseId = randomUUID();
            await transaction.$executeRaw`INSERT INTO vs_parallel_leases (lease_id, token, expires_at) VALUES (${leaseId}::uuid, ${token}, now() + ${leaseMs} * interval '1 millisecond')`;
          }
          if (limits.rpm_limit === null && limits.tpm_limit === null) return { admitted: true, leaseId, remainingRequests: null, remainingTokens: null };
          // Counted under the row's lock: of two processes at the last slot, the second sees the first's count.
          const counted = await transaction.$queryRaw<Array<{ requests: number; tokens: number }>>`
            INSERT INTO vs_rate_limit_windows (token, window_start, requests, tokens) VALUES (${token}, date_trunc('minute', now()), 1, 0)
            ON CONFLICT (token, window_start) DO UPDATE SET requests = vs_rate_limit_windows.requests + 1
              WHERE (${limits.rpm_limit}::int IS NULL OR vs_rate_limit_windows.requests < ${limits.rpm_limit}::int)
                AND (${limits.tpm_limit}::bigint IS NULL OR vs_rate_limit_windows.tokens < ${limits.tpm_limit}::bigint)
            RETURNING requests, tokens::float8 AS tokens`;
          const row = counted[0];
          if (row === undefined) {
            // Another process took the last slot between the read above and this write.
            if (leaseId !== null) await transaction.$executeRaw`DELETE FROM vs_parallel_leases WHERE lease_id = ${leaseId}::uuid`;
            return refuse(limits.rpm_limit !== null ? "rpm_limit" : "tpm_limit", limits.rpm_limit ?? limits.tpm_limit ?? 0, window.reset_ms);
          }
          return {
            admitted: true,
            leaseId,
            remainingRequests: remaining(limits.rpm_limit, row.requests),
            remainingTokens: remaining(limits.tpm_limit, row.tokens),
          };
        }),
      ),

    async release(leaseId) {
      await run(() => prisma.$executeRaw`DELETE FROM vs_parallel_leases WHERE lease_id = ${leaseId}::uuid`);
    },

    async addTokens(token, tokens) {
      if (!(tokens > 0)) return;
      await run(
        () => prisma.$executeRaw`
        INSERT INTO vs_rate_limit_windows (token, window_start, requests, tokens) VALUES (${token}, date_trunc('minute', now()), 0, ${tokens})
        ON CONFLICT (token, window_start) DO UPDATE SET tokens = vs_rate_limit_windows.tokens + EXCLUDED.tokens`,
      );
    },

    /** Windows of past minutes and expired leases are of no more use. */
    async sweep() {
      await run(() => prisma.$executeRaw`DELETE FROM vs_rate_limit_windows WHERE window_start < now() - interval '2 minutes'`);
      await run(() => prisma.$executeRaw`DELETE FROM vs_parallel_leases WHERE expires_at <= now()`);
    },
  };
}

export function createPostgresBudgets(prisma: PrismaClient, run: Run): BudgetStore {
  return {
    async spendInWindow(token, windowStart) {
      const rows = await run(
        () =>
          prisma.$queryRaw<Array<{ spend_usd: number }>>`SELECT spend_usd FROM vs_key_spend_windows WHERE token = ${token} AND window_start = ${windowStart}`,
      );
      return Number(rows[0]?.spend_usd ?? 0);
    },
  };
}
