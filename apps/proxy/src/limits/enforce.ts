import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { budgetWindow, type BudgetStore, type RateLimitStore } from "@vs/auth";
import type { Env } from "../http/context.js";
import { keyAliasLabel, type GatewayMetrics } from "../observability/metrics.js";
import { traced } from "../observability/tracing.js";
import { BudgetExceededError, RateLimitExceededError } from "./errors.js";

/**
 * How long a request holds its max_parallel_requests slot at most: a process that dies mid-request frees it then.
 * Longer than any search (the gateway's own upstream timeouts end those first).
 */
export const PARALLEL_LEASE_MS = 120_000;

export interface KeyLimitOptions {
  rateLimits: RateLimitStore;
  budgets: BudgetStore;
  metrics?: GatewayMetrics | null;
  logger: Logger;
}

/** Routes a key may call whatever its limits: reading its own info (spend, window, limits) is how it learns why. */
function isExempt(method: string, path: string): boolean {
  return method === "GET" && path === "/key/info";
}

/**
 * Per-key budgets and rate limits, after authentication. A key without limits passes at the cost of one property
 * check. A store that cannot answer fails the request (503): a limit is never lifted because it could not be read.
 */
export function enforceKeyLimits(options: KeyLimitOptions): MiddlewareHandler<Env> {
  const { rateLimits, budgets, metrics, logger } = options;
  return async function enforceLimits(c, next) {
    const caller = c.get("caller");
    if (caller.kind !== "virtual" || caller.limits === undefined || isExempt(c.req.method, c.req.path)) return next();
    const limits = caller.limits;
    const alias = keyAliasLabel(caller.alias);

    if (limits.max_budget !== null) {
      const window = budgetWindow(limits);
      const spend = await traced("db budget", {}, () => budgets.spendInWindow(caller.token, window.start));
      if (spend >= limits.max_budget) {
        metrics?.budgetRejections.inc({ key_alias: alias });
        if (window.end !== null) c.header("retry-after", String(Math.max(1, Math.ceil((window.end.getTime() - Date.now()) / 1000))));
        throw new BudgetExceededError(spend, limits.max_budget, window.end);
      }
    }
    if (limits.rpm_limit === null && limits.tpm_limit === null && limits.max_parallel_requests === null) return next();

    const admission = await traced("db rate limit", {}, () => rateLimits.admit(caller.token, limits, PARALLEL_LEASE_MS));
    if (admission.remainingRequests !== null) c.header("x-ratelimit-remaining-requests", String(admission.remainingRequests));
    if (admission.remainingTokens !== null) c.header("x-ratelimit-remaining-tokens", String(admission.remainingTokens));
    if (limits.rpm_limit !== null) c.header("x-ratelimit-limit-requests", String(limits.rpm_limit));
    if (limits.tpm_limit !== null) c.header("x-ratelimit-limit-tokens", String(limits.tpm_limit));
    if (!admission.admitted) {
      metrics?.rateLimitRejections.inc({ limit: admission.limit, key_alias: alias });
      c.header("retry-after", String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))));
      throw new RateLimitExceededError(admission.limit, admission.current, limits[admission.limit] ?? 0);
    }
    try {
      await next();
    } finally {
      // Off the answer's path: the slot and the token count are settled once the response is on its way.
      if (admission.leaseId !== null)
        rateLimits
          .release(admission.leaseId)
          .catch((error: unknown) =>
            logger.warn({ err_message: (error as Error).message }, "could not release a max_parallel_requests slot; it expires on its own"),
          );
      const tokens = c.get("record").embedding_tokens ?? 0;
      if (limits.tpm_limit !== null && tokens > 0)
        rateLimits
          .addTokens(caller.token, tokens)
          .catch((error: unknown) =>
            logger.warn({ err_message: (error as Error).message, key_alias: caller.alias }, "could not count embedding tokens toward tpm_limit"),
          );
    }
  };
}
