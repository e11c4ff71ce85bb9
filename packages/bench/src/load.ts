import { availableParallelism } from "node:os";
import { summarize, type LatencySummary } from "./statistics.js";

/** One request as a client makes it, response read to the end. Throws when the answer is not the expected one. */
export type Operation = () => Promise<void>;

/** A client of one benchmarked path, holding `connections` keep-alive connections. */
export interface PathClient {
  operation: Operation;
  close(): Promise<void>;
}

/**
 * `latency`: the client parses and checks every answer, as an application would. `load`: the client only checks the
 * status and the Milvus code, so the load generator spends its CPU on sending, not on parsing (it shares the 2 cores
 * with the servers it measures).
 */
export type ClientMode = "latency" | "load";

export interface BenchPath {
  /** Short id used in the JSON: `direct`, `unified`, … */
  id: string;
  label: string;
  open(connections: number, mode?: ClientMode): Promise<PathClient>;
}

export interface SequentialRun {
  samples: number[];
  errors: number;
  firstError?: string;
}

/** `count` requests one after the other; each sample is one request's wall time in ms. */
export async function runSequential(operation: Operation, count: number, into: SequentialRun = { samples: [], errors: 0 }): Promise<SequentialRun> {
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    try {
      await operation();
      into.samples.push(performance.now() - started);
    } catch (error) {
      into.errors++;
      into.firstError ??= describeError(error);
    }
  }
  return into;
}

export interface ThroughputRun {
  connections: number;
  durationMs: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** CPU time per completed request, in µs, of each watched process (`client` is the load generator itself). */
  cpuMicrosecondsPerRequest: Record<string, number>;
  /**
   * Share of the machine (all cores) that processes other than the watched ones used during the run: other work on
   * a shared machine inflates every latency and deflates every throughput, so a large share flags a noisy run.
   */
  otherProcessesCpuShare?: number;
  firstError?: string;
}

/** Reads a process's cumulative CPU time in ms (null when it cannot). */
export type CpuClock = () => number | null;

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * `connections` loops, each sending its next request as soon as the previous answer is read (closed loop), first for
 * `warmupMs` (connections opened, JIT warm, not counted), then for `durationMs`.
 */
export async function runThroughput(
  client: PathClient,
  options: { connections: number; durationMs: number; warmupMs: number; cpuOf?: Record<string, CpuClock>; systemCpu?: CpuClock },
): Promise<ThroughputRun> {
  await runLoops(client.operation, options.connections, options.warmupMs, null);
  const samples: number[] = [];
  const outcome = { errors: 0, firstError: undefined as string | undefined };
  const clocks: Record<string, CpuClock> = { client: ownCpuMs, ...options.cpuOf };
  const cpuBefore = Object.fromEntries(Object.entries(clocks).map(([name, clock]) => [name, clock()]));
  const systemBefore = options.systemCpu?.() ?? null;
  const started = performance.now();
  await runLoops(client.operation, options.connections, options.durationMs, { samples, outcome });
  const elapsedMs = performance.now() - started;
  const systemAfter = options.systemCpu?.() ?? null;
  const cpuMicrosecondsPerRequest: Record<string, number> = {};
  let watchedMs = 0;
  for (const [name, clock] of Object.entries(clocks)) {
    const before = cpuBefore[name];
    const after = clock();
    if (before === null || before === undefined || after === null) continue;
    watchedMs += after - before;
    if (samples.length > 0) cpuMicrosecondsPerRequest[name] = ((after - before) * 1000) / samples.length;
  }
  const otherProcessesCpuShare =
    systemBefore !== null && systemAfter !== null && elapsedMs > 0
      ? Math.max(0, systemAfter - systemBefore - watchedMs) / (availableParallelism() * elapsedMs)
      : undefined;
  return {
    ...(otherProcessesCpuShare === undefined ? {} : { otherProcessesCpuShare }),
    cpuMicrosecondsPerRequest,
    connections: options.connections,
    durationMs: elapsedMs,
    requests: samples.length,
    errors: outcome.errors,
    requestsPerSecond: samples.length / (elapsedMs / 1000),
    latency: summarize(samples),
    ...(outcome.firstError === undefined ? {} : { firstError: outcome.firstError }),
  };
}

async function runLoops(
  operation: Operation,
  concurrency: number,
  durationMs: number,
  recording: { samples: number[]; outcome: { errors: number; firstError: string | undefined } } | null,
): Promise<void> {
  const endAt = performance.now() + durationMs;
  const loop = async (): Promise<void> => {
    for (;;) {
      const started = performance.now();
      if (started >= endAt) return;
      try {
        await operation();
        recording?.samples.push(performance.now() - started);
      } catch (error) {
        if (recording) {
          recording.outcome.errors++;
          recording.outcome.firstError ??= describeError(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
