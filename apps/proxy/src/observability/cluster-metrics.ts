import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { GatewayMetrics } from "./metrics.js";

/**
 * With `--workers N` every worker counts only what it answered, and a scrape lands on one of them. These two halves
 * make every scrape the sum over all workers: prom-client's AggregatorRegistry in the primary asks each worker for
 * its registry over IPC and merges them (counters and histograms summed; process metrics as their own aggregator
 * says — summed, averaged, first, or omitted for `process_start_time_seconds`).
 */

export type MetricsText = () => Promise<{ contentType: string; body: string }>;

const SCRAPE_REQUEST = "vs:metrics-scrape";
const SCRAPE_ANSWER = "vs:metrics-scrape-answer";
// Above prom-client's own 5 s wait for the workers, so the primary's verdict (an error) arrives before ours.
const SCRAPE_TIMEOUT_MS = 7_000;

interface ScrapeRequest {
  type: typeof SCRAPE_REQUEST;
  id: number;
}
interface ScrapeAnswer {
  type: typeof SCRAPE_ANSWER;
  id: number;
  contentType?: string;
  body?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T["type"]): message is T {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === type;
}

/**
 * In the primary: the cluster-wide text, for the metrics port, and an answer to every worker that was scraped on
 * the gateway's port. Call once, before forking.
 */
export function primaryClusterMetrics(): MetricsText {
  const aggregator = new AggregatorRegistry();
  const text: MetricsText = async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (!isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) return;
    const reply = (answer: Omit<ScrapeAnswer, "type" | "id">) => {
      // The asking worker may have exited meanwhile; nobody is left to answer then.
      if (worker.isConnected()) worker.send({ type: SCRAPE_ANSWER, id: message.id, ...answer } satisfies ScrapeAnswer, undefined, () => undefined);
    };
    text().then(
      ({ contentType, body }) => reply({ contentType, body }),
      (error: Error) => reply({ error: error.message }),
    );
  });
  return text;
}

/**
 * In a worker, as early as possible: answers the primary's requests for this worker's counts (none until
 * `workerClusterMetrics` hands over its registry), so a worker still starting never makes a scrape wait for it.
 * Idempotent.
 */
export function answerPrimaryScrapes(): void {
  // Not prom-client's global registry: nothing of ours is registered there.
  if (!answering) AggregatorRegistry.setRegistries([]);
  answering = true;
  // Constructing one installs prom-client's listener (once per process) that answers with the set registries.
  new AggregatorRegistry();
}
let answering = false;

/**
 * In a worker: hands `metrics` to the primary's aggregation, and returns what `GET /metrics` on the gateway's port
 * answers — the primary's sum over every worker, this one included.
 */
export function workerClusterMetrics(metrics: GatewayMetrics): MetricsText {
  answerPrimaryScrapes();
  AggregatorRegistry.setRegistries([metrics.registry]);
  let nextId = 0;
  const pending = new Map<number, { resolve: (answer: ScrapeAnswer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  process.on("message", (message: unknown) => {
    if (!isMessage<ScrapeAnswer>(message, SCRAPE_ANSWER)) return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message);
  });
  return async () => {
    const id = nextId++;
    const answer = await new Promise<ScrapeAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error("the primary did not answer with the cluster's metrics"));
      }, SCRAPE_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      const sent = process.send?.({ type: SCRAPE_REQUEST, id } satisfies ScrapeRequest, undefined, {}, (error: Error | null) => {
        if (!error) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(error);
      });
      if (sent === undefined) {
        pending.delete(id);
        clearTimeout(timer);
        reject(new Error("not a cluster worker: no primary to ask for metrics"));
      }
    });
    if (answer.error !== undefined || answer.body === undefined) throw new Error(`collecting the cluster's metrics failed: ${answer.error ?? "no answer"}`);
    return { contentType: answer.contentType ?? metrics.registry.contentType, body: answer.body };
  };
}
