import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { AuthStore, BudgetCrossing, SpendRow } from "@vs/auth";
import type { CompletedRequest, RequestSink } from "./app.js";

/** How often pending rows are written: what a SIGKILL can cost at most (plus a write under way). */
export const SPEND_FLUSH_INTERVAL_MS = 1000;
/** A batch is written at once when it reaches this many rows, whatever the interval. */
export const SPEND_MAX_BATCH = 200;
/** Rows kept while the database does not answer; past it the oldest are dropped (and counted in the log). */
export const SPEND_MAX_PENDING = 50_000;

export interface SpendWriterOptions {
  /** A key's spend reached its soft or max budget with the rows just written (reported by exactly one process). */
  onBudgetCrossing?: (crossing: BudgetCrossing) => void;
  flushMs?: number;
  maxBatch?: number;
  maxPending?: number;
}

/**
 * Cost tracking: one spend row per request, written in batches off the request path. A Milvus search costs $0; the
 * query embedding's tokens and cost are attributed to the search that caused them. A write never fails a request.
 * A row the database refuses is dropped alone (and logged), never the rest of its batch; when the database does
 * not answer, the rows wait for the next flush (up to `maxPending`).
 */
export class SpendWriter implements RequestSink {
  private pending: SpendRow[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly auth: AuthStore,
    private readonly logger: Logger,
    private readonly options: SpendWriterOptions = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? SPEND_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  record(entry: CompletedRequest): void {
    this.pending.push({
      id: randomUUID(),
      request_id: entry.request_id,
      created_at: new Date(),
      key_hash: entry.caller?.kind === "virtual" ? entry.caller.token : null,
      key_alias: entry.caller?.alias ?? null,
      route: entry.route,
      vector_store: entry.vector_store ?? null,
      index_name: entry.index_name ?? null,
      status_code: entry.status,
      latency_ms: Math.round(entry.latency_ms),
      embedding_tokens: entry.embedding_tokens ?? 0,
      embedding_cost_usd: entry.embedding_cost_usd ?? 0,
      search_cost_usd: 0,
      result_count: entry.result_count ?? null,
      error_code: entry.error_code ?? null,
    });
    if (this.pending.length >= (this.options.maxBatch ?? SPEND_MAX_BATCH)) void this.flush();
  }

  /** Rows recorded and not yet written. */
  get pendingRows(): number {
    return this.pending.length;
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const rows = this.pending;
      this.pending = [];
      try {
        const { rejected, budgetCrossings } = await this.auth.spend.record(rows);
        for (const crossing of budgetCrossings) this.options.onBudgetCrossing?.(crossing);
        for (const row of rejected)
          this.logger.error({ request_id: row.request_id, reason: row.reason }, "spend row refused; the rest of its batch was written");
      } catch (error) {
        // The rows carry their ids, so sending them again cannot store one twice.
        this.pending = rows.concat(this.pending);
        const overflow = this.pending.length - (this.options.maxPending ?? SPEND_MAX_PENDING);
        if (overflow > 0) this.pending.splice(0, overflow);
        this.logger.warn(
          { rows: rows.length, pending: this.pending.length, dropped: Math.max(0, overflow), err_message: (error as Error).message },
          "spend rows not written yet; retrying on the next flush",
        );
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is pending; rows the database still cannot take are logged as lost. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.pending.length > 0) {
      this.logger.error({ rows: this.pending.length }, "spend rows lost at shutdown: the database did not answer");
      this.pending = [];
    }
  }
}
