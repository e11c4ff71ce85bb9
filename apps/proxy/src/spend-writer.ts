import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { AuthStore, SpendRow } from "@vs/auth";
import type { CompletedRequest, RequestSink } from "./app.js";

/**
 * Cost tracking: one spend row per request, written in batches off the request path. A Milvus search costs $0; the
 * query embedding's tokens and cost are attributed to the search that caused them. A failed write is logged, never
 * retried forever, and never fails a request.
 */
export class SpendWriter implements RequestSink {
  private pending: SpendRow[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly auth: AuthStore, private readonly logger: Logger, private readonly options: { flushMs?: number; maxBatch?: number } = {}) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1000);
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
    if (this.pending.length >= (this.options.maxBatch ?? 200)) void this.flush();
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const rows = this.pending;
      this.pending = [];
      try {
        await this.auth.spend.record(rows);
      } catch (error) {
        this.logger.warn({ rows: rows.length, err_message: (error as Error).message }, "spend rows not written");
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
