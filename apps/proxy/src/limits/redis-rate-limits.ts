import { randomUUID } from "node:crypto";
import { createClient } from "@redis/client";
import { ServiceUnavailableError } from "@vs/core";
import type { Admission, RateLimitStore, RequestLimits } from "@vs/auth";

// Redis's own clock (TIME), so processes on machines whose clocks differ agree on the minute. -1: no such limit.
// Returns {admitted, limit, current, retryAfterMs, requests, tokens}.
const ADMIT = `
local base = KEYS[1]
local rpm = tonumber(ARGV[1]); local tpm = tonumber(ARGV[2]); local parallel = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4]); local leaseId = ARGV[5]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minute = math.floor(now / 60000)
local window = base .. ':w:' .. minute
local leases = base .. ':leases'
local resetMs = (minute + 1) * 60000 - now
local requests = tonumber(redis.call('HGET', window, 'requests') or '0')
local tokens = tonumber(redis.call('HGET', window, 'tokens') or '0')
if tpm >= 0 and tokens >= tpm then return {0, 'tpm_limit', tokens, resetMs, requests, tokens} end
if rpm >= 0 and requests >= rpm then return {0, 'rpm_limit', requests, resetMs, requests, tokens} end
if parallel >= 0 then
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local inFlight = redis.call('ZCARD', leases)
  if inFlight >= parallel then return {0, 'max_parallel_requests', inFlight, 1000, requests, tokens} end
  redis.call('ZADD', leases, now + leaseMs, leaseId)
  redis.call('PEXPIRE', leases, leaseMs)
end
if rpm >= 0 or tpm >= 0 then
  requests = redis.call('HINCRBY', window, 'requests', 1)
  redis.call('PEXPIRE', window, 120000)
end
return {1, '', 0, 0, requests, tokens}
`;

const ADD_TOKENS = `
local time = redis.call('TIME')
local minute = math.floor((tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) / 60000)
local window = KEYS[1] .. ':w:' .. minute
redis.call('HINCRBY', window, 'tokens', tonumber(ARGV[1]))
redis.call('PEXPIRE', window, 120000)
return 1
`;

const COMMAND_TIMEOUT_MS = 2_000;

/**
 * rpm_limit, tpm_limit and max_parallel_requests in Redis (when `general_settings.cache` is Redis): one script per
 * admission, so the check and the count are one atomic step for every proxy process. Keys: `<prefix>limits:{<key
 * hash>}:w:<minute>` (a hash of requests and tokens, kept two minutes) and `…:leases` (a sorted set of lease ids by
 * expiry). Redis being down fails the request (503), never lets it through.
 */
export class RedisRateLimits implements RateLimitStore {
  readonly #client: ReturnType<typeof createClient>;
  readonly #prefix: string;
  #connecting: Promise<unknown> | undefined;
  #leases = new Map<string, string>();

  constructor(options: { url: string; keyPrefix: string; onError?: (error: Error) => void }) {
    this.#prefix = options.keyPrefix;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      maintNotifications: "disabled",
      socket: { connectTimeout: COMMAND_TIMEOUT_MS },
    });
    this.#client.on("error", (error: Error) => options.onError?.(error));
  }

  #base(token: string): string {
    return `${this.#prefix}limits:{${token}}`;
  }

  async #run<T>(body: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
    try {
      this.#connecting ??= this.#client.connect();
      await this.#connecting;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS)),
      );
      try {
        return await Promise.race([body(this.#client), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      // No cause, no URL: the client's messages may quote the address with its password.
      throw new ServiceUnavailableError(`Rate limits could not be checked: Redis did not answer (${(error as { code?: string }).code ?? "unavailable"}).`, {
        code: "rate_limit_store_unavailable",
      });
    }
  }

  async admit(token: string, limits: RequestLimits, leaseMs: number): Promise<Admission> {
    const leaseId = randomUUID();
    const reply = (await this.#run((client) =>
      client.eval(ADMIT, {
        keys: [this.#base(token)],
        arguments: [String(limits.rpm_limit ?? -1), String(limits.tpm_limit ?? -1), String(limits.max_parallel_requests ?? -1), String(leaseMs), leaseId],
      }),
    )) as [number, string, number, number, number, number];
    const [admitted, limit, current, retryAfterMs, requests, tokens] = reply.map((value, index) => (index === 1 ? String(value) : Number(value))) as [
      number,
      string,
      number,
      number,
      number,
      number,
    ];
    const remainingRequests = limits.rpm_limit === null ? null : Math.max(0, limits.rpm_limit - requests);
    const remainingTokens = limits.tpm_limit === null ? null : Math.max(0, limits.tpm_limit - tokens);
    if (admitted !== 1)
      return {
        admitted: false,
        limit: limit as "rpm_limit" | "tpm_limit" | "max_parallel_requests",
        current,
        retryAfterMs,
        remainingRequests,
        remainingTokens,
      };
    if (limits.max_parallel_requests === null) return { admitted: true, leaseId: null, remainingRequests, remainingTokens };
    this.#leases.set(leaseId, token);
    return { admitted: true, leaseId, remainingRequests, remainingTokens };
  }

  async release(leaseId: string): Promise<void> {
    const token = this.#leases.get(leaseId);
    if (token === undefined) return;
    this.#leases.delete(leaseId);
    await this.#run((client) => client.zRem(`${this.#base(token)}:leases`, leaseId));
  }

  async addTokens(token: string, tokens: number): Promise<void> {
    if (!(tokens > 0)) return;
    await this.#run((client) => client.eval(ADD_TOKENS, { keys: [this.#base(token)], arguments: [String(Math.round(tokens))] }));
  }

  async close(): Promise<void> {
    if (!this.#client.isOpen) return;
    await this.#client.close().catch(() => this.#client.destroy());
  }
}
