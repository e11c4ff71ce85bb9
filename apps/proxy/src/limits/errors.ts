import { VsError } from "@vs/core";

/**
 * A key whose max_budget is spent in its current window. LiteLLM's answer, field for field: status 400, type
 * `budget_exceeded`, "Budget has been exceeded! Current cost: X, Max budget: Y" (its `BudgetExceededError`), so
 * clients written for LiteLLM recognise it.
 */
export class BudgetExceededError extends VsError {
  static override readonly kind: string = "BudgetExceededError";
  constructor(
    readonly currentCost: number,
    readonly maxBudget: number,
    readonly resetsAt: Date | null,
  ) {
    super({
      message: `Budget has been exceeded! Current cost: ${currentCost}, Max budget: ${maxBudget}`,
      status: 400,
      code: "400",
      type: "budget_exceeded",
      param: null,
    });
  }
}

/** A key over its rpm_limit, tpm_limit or max_parallel_requests: 429 with `retry-after`. */
export class RateLimitExceededError extends VsError {
  static override readonly kind: string = "RateLimitExceededError";
  constructor(
    readonly limit: "rpm_limit" | "tpm_limit" | "max_parallel_requests",
    current: number,
    allowed: number,
  ) {
    const what = { rpm_limit: "requests this minute", tpm_limit: "embedding tokens this minute", max_parallel_requests: "requests in flight" }[limit];
    super({
      message: `Rate limit reached for this key: ${limit} is ${allowed} and there are ${current} ${what}. Retry after the time in the retry-after header.`,
      status: 429,
      code: "rate_limit_exceeded",
      type: "rate_limit_error",
      param: limit,
      isRetryable: true,
    });
  }
}
