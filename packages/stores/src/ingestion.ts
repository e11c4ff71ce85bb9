import type { AuthStore } from "@vs/auth";
import { VsError, type AttributeValue, type StoredChunk } from "@vs/core";
import { chunkText, parseFile, type ResolvedChunkingStrategy } from "@vs/ingest";
import { writerOf, type EmbeddingModels } from "./engine.js";
import type { IngestJob, IngestionQueue, JobContext } from "./ingestion-queue.js";
import type { FileError } from "./objects.js";
import type { VectorStoreService } from "./service.js";

export interface IngestionWorkerOptions {
  auth: AuthStore;
  service: VectorStoreService;
  models: EmbeddingModels;
  queue: IngestionQueue;
  /** Files ingested at once by this process. Default 2. */
  concurrency?: number;
  /** Chunks per embedding call and per write. Default 64. */
  batchSize?: number;
  /** Embedding calls in flight per file. Default 2. */
  batchConcurrency?: number;
  log?: (line: string) => void;
  /** Called when a file reaches a final state (tests, metrics). */
  onSettled?: (event: { vectorStoreId: string; fileId: string; status: "completed" | "failed" | "cancelled" }) => void;
}

/** The attachment went away or was cancelled while the file was being ingested. */
class AttachmentGone extends Error {}

/**
 * Ingests attached files, one job per file: parse → chunk → embed (as documents, with the store's model) → write
 * through the provider's write side. Before writing, the file's chunks from any earlier attempt are deleted, and
 * chunk ids are `${fileId}:${index}`, so a retried job converges. A file that fails, is cancelled or is detached
 * leaves none of its chunks behind.
 */
export class IngestionWorker {
  private readonly prisma: AuthStore["database"]["prisma"];
  private readonly log: (line: string) => void;

  constructor(private readonly options: IngestionWorkerOptions) {
    this.prisma = options.auth.database.prisma;
    this.log = options.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    await this.options.queue.work(this.options.concurrency ?? 2, (job, context) => this.ingest(job, context));
  }

  /** One job. Throws only for a failure worth retrying; every other outcome is written to the attachment row. */
  async ingest(job: IngestJob, context: JobContext): Promise<void> {
    const key = { vector_store_id_file_id: { vector_store_id: job.vector_store_id, file_id: job.file_id } };
    const attachment = await this.prisma.vectorStoreFile.findUnique({ where: key, include: { vector_store: true } });
    if (!attachment || attachment.created_at.toISOString() !== job.generation || attachment.status !== "in_progress") return;
    const started = performance.now();
    const prepared = this.options.service.preparedFor(attachment.vector_store);
    const writer = writerOf(prepared, `vector store ${job.vector_store_id}`);
    const target = { vectorStoreId: prepared.vectorStoreId, options: prepared.options };
    const signal = context.signal;
    const removeChunks = () => writer.deleteFileChunks(target, job.file_id, { signal: AbortSignal.timeout(60_000) });
    const stillWanted = async () => {
      if (signal.aborted) throw new AttachmentGone();
      const current = await this.prisma.vectorStoreFile.findUnique({ where: key, select: { status: true, created_at: true } });
      if (!current || current.status !== "in_progress" || current.created_at.toISOString() !== job.generation) throw new AttachmentGone();
    };

    try {
      // A previous attempt (a crash, a retry) may have written some chunks: start from none.
      await writer.deleteFileChunks(target, job.file_id, { signal });
      const file = await this.prisma.file.findUnique({ where: { id: job.file_id } });
      if (!file) {
        await this.fail(job, { code: "invalid_file", message: "The file was deleted before it could be ingested." });
        return;
      }
      const parsed = await parseFile({ bytes: file.content, filename: file.filename, contentType: file.content_type });
      const chunks = chunkText(parsed.text, attachment.chunking_strategy as ResolvedChunkingStrategy);
      if (chunks.length === 0) {
        await this.fail(job, { code: "invalid_file", message: "The file contains no text to index." });
        return;
      }
      const model = this.options.models.embeddingModel(prepared.embeddingModel!, prepared.embeddingConfig);
      const attributes = (attachment.attributes ?? {}) as Record<string, AttributeValue>;
      const batchSize = this.options.batchSize ?? 64;
      const batches: Array<typeof chunks> = [];
      for (let start = 0; start < chunks.length; start += batchSize) batches.push(chunks.slice(start, start + batchSize));
      let tokens = 0;
      let next = 0;
      const runLane = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await stillWanted();
          const embedded = await model.embed(
            batch.map((chunk) => chunk.text),
            { inputType: "document", signal },
          );
          tokens += embedded.usage.total_tokens;
          const rows: StoredChunk[] = batch.map((chunk, position) => ({
            id: `${job.file_id}:${chunk.index}`,
            fileId: job.file_id,
            filename: file.filename,
            chunkIndex: chunk.index,
            text: chunk.text,
            vector: embedded.vectors[position]!,
            attributes,
          }));
          await writer.upsertChunks(target, rows, { signal });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.batchConcurrency ?? 2, batches.length) }, runLane));
      const usageBytes = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.text), 0);
      const updated = await this.prisma.vectorStoreFile.updateMany({
        where: { vector_store_id: job.vector_store_id, file_id: job.file_id, status: "in_progress", created_at: attachment.created_at },
        data: { status: "completed", usage_bytes: usageBytes, chunk_count: chunks.length, last_error: undefined, updated_at: new Date() },
      });
      if (updated.count === 0) throw new AttachmentGone();
      await this.recordSpend(attachment, tokens, tokens * model.inputCostPerToken, performance.now() - started);
      this.options.onSettled?.({ vectorStoreId: job.vector_store_id, fileId: job.file_id, status: "completed" });
    } catch (error) {
      if (error instanceof AttachmentGone || (signal.aborted && !(await this.isInProgress(job)))) {
        // Cancelled or detached meanwhile (or the store was deleted): whatever was written goes.
        await removeChunks().catch(() => undefined);
        this.options.onSettled?.({ vectorStoreId: job.vector_store_id, fileId: job.file_id, status: "cancelled" });
        return;
      }
      if (signal.aborted) throw error; // This process lost the claim or is stopping: the job runs again elsewhere.
      const fileError =
        VsError.isInstance(error) && (error.code === "unsupported_file" || error.code === "invalid_file") ? (error.code as FileError["code"]) : null;
      const lastAttempt = context.retryCount >= context.retryLimit || (VsError.isInstance(error) && !error.isRetryable && error.status < 500);
      await removeChunks().catch(() => undefined);
      if (fileError !== null || lastAttempt) {
        await this.fail(job, { code: fileError ?? "server_error", message: (error as Error).message });
        return;
      }
      this.log(`ingestion: ${job.vector_store_id}/${job.file_id} attempt ${context.retryCount + 1} failed, will retry: ${(error as Error).message}`);
      throw error;
    }
  }

  private async isInProgress(job: IngestJob): Promise<boolean> {
    const row = await this.prisma.vectorStoreFile.findUnique({
      where: { vector_store_id_file_id: { vector_store_id: job.vector_store_id, file_id: job.file_id } },
      select: { status: true, created_at: true },
    });
    return row !== null && row.status === "in_progress" && row.created_at.toISOString() === job.generation;
  }

  private async fail(job: IngestJob, lastError: FileError): Promise<void> {
    await this.prisma.vectorStoreFile.updateMany({
      where: { vector_store_id: job.vector_store_id, file_id: job.file_id, status: "in_progress", created_at: new Date(job.generation) },
      data: { status: "failed", last_error: { code: lastError.code, message: lastError.message.slice(0, 1000) }, updated_at: new Date() },
    });
    this.options.onSettled?.({ vectorStoreId: job.vector_store_id, fileId: job.file_id, status: "failed" });
  }

  /** Ingestion's embedding spend, against the key that attached the file. */
  private async recordSpend(
    attachment: { vector_store_id: string; file_id: string; requested_by_key_hash: string | null; requested_by_alias: string | null },
    tokens: number,
    costUsd: number,
    latencyMs: number,
  ): Promise<void> {
    await this.options.auth.spend
      .record([
        {
          request_id: `ingest:${attachment.vector_store_id}:${attachment.file_id}`,
          key_hash: attachment.requested_by_key_hash,
          key_alias: attachment.requested_by_alias,
          route: `/v1/vector_stores/${attachment.vector_store_id}/files/${attachment.file_id}#ingestion`,
          vector_store: attachment.vector_store_id,
          status_code: 200,
          latency_ms: Math.round(latencyMs),
          embedding_tokens: tokens,
          embedding_cost_usd: costUsd,
        },
      ])
      .catch((error: unknown) => this.log(`ingestion: spend row not written: ${(error as Error).message}`));
  }
}
