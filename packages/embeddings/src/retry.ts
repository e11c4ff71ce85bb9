/** First retry waits about this long; each further one doubles it. */
export const RETRY_BASE_DELAY_MS = 500;
/** Longest backoff between two attempts. */
export const RETRY_MAX_BACKOFF_MS = 8_000;
/** Longest `retry-after` we honour; a longer one is clamped (and then limited by the call's timeout). */
export const RETRY_AFTER_CAP_MS = 60_000;

/**
 * Exponential backoff with jitter: `base * 2^retry`, capped, then scaled into [50 %, 100 %] so that clients
 * rejected together do not come back together. `random` is injectable for tests.
 */
export function backoffDelayMs(retry: number, random: () => number = Math.random): number {
  const exponential = Math.min(RETRY_MAX_BACKOFF_MS, RETRY_BASE_DELAY_MS * 2 ** retry);
  return Math.round(exponential * (0.5 + random() * 0.5));
}

/**
 * How long the upstream asked us to wait, in ms, from `retry-after-ms` (sent by OpenAI and Azure) or
 * `retry-after` (delay in seconds or an HTTP date). Undefined when absent or unparsable; clamped to
 * [0, RETRY_AFTER_CAP_MS].
 */
export function parseRetryAfterMs(
  headers: { retryAfter?: string | undefined; retryAfterMs?: string | undefined },
  now: number = Date.now(),
): number | undefined {
  const clamp = (ms: number): number => Math.min(RETRY_AFTER_CAP_MS, Math.max(0, Math.round(ms)));
  const milliseconds = headers.retryAfterMs?.trim();
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds)) return clamp(Number(milliseconds));
  const value = headers.retryAfter?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value) * 1000);
  // Date.parse takes bare numbers such as "-1" for years; an HTTP date always has a weekday and month name.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : clamp(date - now);
}
