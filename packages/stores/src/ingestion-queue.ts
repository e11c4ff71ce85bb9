import type { DatabaseDriver } from "@vs/auth";
import { PgBoss, fromPglite, fromPrisma, type PrismaTransactionLike } from "pg-boss";

export const INGEST_QUEUE = "vs-ingest-file";

/** One file to ingest. `generation` is the attachment's `created_at`: a job left over from an earlier attachment of the same file is ignored. */
export interface IngestJob {
  vector_store_id: string;
  file_id: string;
  generation: string;
}

export interface IngestionQueueOptions {
  /**
   * A running job refreshes its claim this often (÷2); a process that dies stops refreshing, and after this many
   * seconds another process takes the file over. pg-boss's minimum is 10. Default 30.
   */
  heartbeatSeconds?: number;
  /** How often each process looks for stale claims and queued jobs when nothing notifies it. Default 2. */
  pollingIntervalSeconds?: number;
  /** How often pg-boss's supervisor fails jobs whose heartbeat stopped (so they are retried). Default 10. */
  superviseIntervalSeconds?: number;
  /** Attempts after the first, for failures that may pass (an embedding or vector store outage). Default 3. */
  retryLimit?: number;
  /** Seconds before the first retry, doubled each time. Default 5. */
  retryDelaySeconds?: number;
}

export interface JobContext {
  retryCount: number;
  retryLimit: number;
  /** Aborted when this process lost the claim (another took the job over) or is stopping. */
  signal: AbortSignal;
}

/**
 * The ingestion queue: pg-boss on the proxy's own database (its tables in their own schema, `pgboss` or
 * `<schema>_pgboss`). pg-boss claims with `FOR UPDATE SKIP LOCKED` (several processes: each job runs once at a
 * time), keeps a running job alive with heartbeats, retries a job whose process died (the heartbeat stops) and
 * runs on PGlite through its own adapter. Jobs are sent in the same transaction as the attachment row, so an
 * attachment never exists without its job.
 */
export class IngestionQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly options: Required<IngestionQueueOptions>,
  ) {}

  static async open(driver: DatabaseDriver, options: IngestionQueueOptions = {}, log: (line: string) => void = () => undefined): Promise<IngestionQueue> {
    const settings: Required<IngestionQueueOptions> = {
      heartbeatSeconds: options.heartbeatSeconds ?? 30,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
      superviseIntervalSeconds: options.superviseIntervalSeconds ?? 10,
      retryLimit: options.retryLimit ?? 3,
      retryDelaySeconds: options.retryDelaySeconds ?? 5,
    };
    const common = {
      superviseIntervalSeconds: settings.superviseIntervalSeconds,
      monitorIntervalSeconds: settings.superviseIntervalSeconds,
      // Cron scheduling is not used; its timers would only cost queries.
      schedule: false,
    };
    const boss =
      driver.kind === "pglite"
        ? new PgBoss({ db: fromPglite(driver.pglite), backend: "pglite", ...common })
        : new PgBoss({ connectionString: driver.connectionString, schema: driver.schema === null ? "pgboss" : `${driver.schema}_pgboss`, max: 4, ...common });
    boss.on("error", (error) => log(`ingestion queue: ${(error as Error).message}`));
    await boss.start();
    await boss
      .createQueue(INGEST_QUEUE, {
        heartbeatSeconds: settings.heartbeatSeconds,
        // The heartbeat bounds a running job; this only bounds a job whose heartbeats keep coming but never ends.
        expireInSeconds: 6 * 3600,
        retryLimit: settings.retryLimit,
        retryDelay: settings.retryDelaySeconds,
        retryBackoff: true,
        retryDelayMax: 300,
      })
      .catch((error: unknown) => {
        // Created by another process at the same moment.
        if (!/already exists/i.test((error as Error).message)) throw error;
      });
    return new IngestionQueue(boss, settings);
  }

  /** Sends the job inside the caller's Prisma transaction: it exists only if the transaction commits. */
  async send(job: IngestJob, transaction: PrismaTransactionLike): Promise<void> {
    await this.boss.send(INGEST_QUEUE, job, { db: fromPrisma(transaction), singletonKey: `${job.vector_store_id}:${job.file_id}:${job.generation}` });
  }

  /** Runs `handler` for each job, `concurrency` at a time in this process. A handler that throws is retried later. */
  async work(concurrency: number, handler: (job: IngestJob, context: JobContext) => Promise<void>): Promise<void> {
    await this.boss.work<IngestJob>(
      INGEST_QUEUE,
      { localConcurrency: concurrency, batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.options.pollingIntervalSeconds },
      async (jobs) => {
        for (const job of jobs) {
          const metadata = job as unknown as { retryCount?: number; retryLimit?: number; signal?: AbortSignal };
          await handler(job.data, {
            retryCount: metadata.retryCount ?? 0,
            retryLimit: metadata.retryLimit ?? this.options.retryLimit,
            signal: metadata.signal ?? new AbortController().signal,
          });
        }
      },
    );
  }

  /** Stops taking jobs; running ones get `graceMs` to finish, then are left for another process (or the next start). */
  async stop(graceMs = 5000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: graceMs, close: true });
  }
}
