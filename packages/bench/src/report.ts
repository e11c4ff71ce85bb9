import type { CpuProfileSummary } from "./cpu-profile.js";
import type { EndToEndResult } from "./end-to-end.js";
import type { IngestionResult } from "./ingestion.js";
import type { ThroughputRun } from "./load.js";
import type { MachineFacts } from "./machine.js";
import type { ProcessMemory } from "./processes.js";
import { round, type LatencySummary } from "./statistics.js";

export interface LatencyRow {
  id: string;
  label: string;
  latency: LatencySummary;
  errors: number;
  firstError?: string;
}

export interface OverheadRow {
  id: string;
  label: string;
  baseline: string;
  addedP50: number;
  addedP99: number;
  addedMean: number;
  /** path ÷ baseline. */
  ratioP50: number;
  ratioP99: number;
}

export interface ThroughputRow {
  id: string;
  label: string;
  runs: ThroughputRun[];
}

export interface TargetRow {
  target: string;
  limit: string;
  measured: string;
  met: boolean;
  /** "met with 0.12 ms to spare", "missed by 0.3 ms (60 %)". */
  margin: string;
}

export interface WorkersResult {
  status: "measured" | "skipped" | "not_available" | "failed";
  reason?: string;
  connections?: number;
  runs?: Array<{ workers: number; throughput: ThroughputRun; peakRssMbAllProcesses: number | null }>;
  /** `--workers 1` on PostgreSQL under the high-concurrency run: the memory target without the in-process PGlite. */
  postgresProxyAtHighConcurrency?: { throughput: ThroughputRun; memoryBefore: ProcessMemory | null; memory: ProcessMemory | null; peakResetBefore: boolean };
}

/** The same paths with 1536-d embeddings (OpenAI's text-embedding-3-small), on a proxy and upstream pair of their own. */
export interface LargeVectorsResult {
  status: "measured" | "skipped" | "failed";
  reason?: string;
  dimensions: number;
  connections?: number;
  latency?: LatencyRow[];
  overhead?: OverheadRow[];
  throughput?: ThroughputRow[];
  otherProcessesCpuShare?: number | null;
}

export interface ProfileResult {
  status: "measured" | "skipped" | "failed";
  reason?: string;
  connections?: number;
  throughput?: ThroughputRun;
  /** Busy CPU of the proxy per request in the window, in µs. */
  cpuMicrosecondsPerRequest?: number;
  summary?: CpuProfileSummary;
}

export interface BenchmarkResults {
  machine: MachineFacts;
  settings: {
    quick: boolean;
    latencyRequests: number;
    latencyWarmup: number;
    latencyRounds: number;
    throughputSeconds: number;
    concurrency: number[];
    upstream: string;
    /** The proxy build measured: `apps/proxy/dist/cli.js`, or a scratch copy given with `--cli`. */
    proxyCli: string;
  };
  latency: LatencyRow[];
  /** `x-vs-overhead-ms` of the (c) answers: the gateway's own account of its time, HTTP parsing excluded. */
  gatewayReportedOverhead: LatencySummary;
  overhead: OverheadRow[];
  /** How busy the machine was with work that is not this benchmark's (a shared machine makes every number worse). */
  noise: { loadAverageAtStart: number[]; latencyOtherProcessesCpuShare: number | null; throughputOtherProcessesCpuShare: number | null };
  logging: { addedP50: number; addedP99: number; addedMean: number; bytesPerRequest: number | null };
  throughput: ThroughputRow[];
  memory: {
    afterStart: ProcessMemory | null;
    beforeHighConcurrency: ProcessMemory | null;
    after256Connections: ProcessMemory | null;
    /** True when VmHWM was reset just before the 256-connection run, so its peak is that run's alone. */
    peakResetBefore256: boolean;
    run256: ThroughputRun | null;
  };
  workers: WorkersResult;
  largeVectors: LargeVectorsResult;
  targets: TargetRow[];
  profile: ProfileResult;
  endToEnd: EndToEndResult;
  /** Absent in results written before the row existed. */
  ingestion?: IngestionResult;
  durationSeconds: number;
}

export const COMPETITORS = [
  { system: "LiteLLM proxy (Python)", addedMs: 4.3, conditions: "sequential, localhost mock upstream, independent test" },
  { system: "Portkey gateway (TypeScript, Hono)", addedMs: 2.5, conditions: "same test (2.4–2.7 ms)" },
  { system: "Bifrost (Go)", addedMs: 0.5, conditions: "same test" },
];

const fixed = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "n/a" : value.toFixed(digits);
const milliseconds = (value: number | null | undefined): string => fixed(value, 3);
const signed = (value: number): string => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "n/a");
const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "n/a");
const percent = (value: number): string => (Number.isFinite(value) ? `${(value * 100).toFixed(0)} %` : "n/a");
const perSecond = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? "n/a" : Math.round(value).toLocaleString("en-US"));
const megabytes = (memory: ProcessMemory | null, field: keyof ProcessMemory): string => (memory ? `${memory[field].toFixed(1)} MB` : "n/a");

export function throughputAt(rows: ThroughputRow[], id: string, connections: number): ThroughputRun | undefined {
  return rows.find((row) => row.id === id)?.runs.find((run) => run.connections === connections);
}

/** A target with its margin, in the unit it is stated in. */
export function target(options: { target: string; limit: number; measured: number; unit: string; atMost: boolean; digits?: number }): TargetRow {
  const { limit, measured, unit, atMost } = options;
  const digits = options.digits ?? 3;
  const met = Number.isFinite(measured) && (atMost ? measured <= limit : measured >= limit);
  const gap = Math.abs(measured - limit);
  const relative = limit !== 0 ? ` (${((gap / Math.abs(limit)) * 100).toFixed(0)} %)` : "";
  return {
    target: options.target,
    limit: `${atMost ? "≤" : "≥"} ${limit}${unit}`,
    measured: `${measured.toFixed(digits)}${unit}`,
    met,
    margin: !Number.isFinite(measured)
      ? "not measured"
      : met
        ? `met, ${gap.toFixed(digits)}${unit} to spare`
        : `missed by ${gap.toFixed(digits)}${unit}${relative}`,
  };
}

function latencyTable(rows: LatencyRow[]): string[] {
  const lines = ["| path | p50 ms | p90 ms | p99 ms | mean ms | max ms | requests | errors |", "|---|--:|--:|--:|--:|--:|--:|--:|"];
  for (const row of rows) {
    const { latency } = row;
    lines.push(
      `| ${row.label} | ${milliseconds(latency.p50)} | ${milliseconds(latency.p90)} | ${milliseconds(latency.p99)} | ${milliseconds(latency.mean)} | ${milliseconds(latency.max)} | ${latency.count} | ${row.errors}${row.firstError ? ` (${row.firstError.replaceAll("|", "/")})` : ""} |`,
    );
  }
  return lines;
}

function largeVectorsSection(result: LargeVectorsResult): string[] {
  if (result.status !== "measured" || !result.latency || !result.throughput) return [`Not measured: ${result.reason ?? result.status}.`];
  const lines = [
    `The same fake upstreams answering a ${result.dimensions}-d embedding (base64 when asked, as OpenAI does), a proxy of its own (warn, cache off); ` +
      `other processes took ${result.otherProcessesCpuShare === null || result.otherProcessesCpuShare === undefined ? "n/a" : percent(result.otherProcessesCpuShare)} of the machine during the latency rounds.`,
    "",
    ...latencyTable(result.latency),
    "",
    "| path | vs | added p50 ms | added p99 ms | added mean ms | ratio p50 | ratio p99 |",
    "|---|---|--:|--:|--:|--:|--:|",
    ...(result.overhead ?? []).map(
      (row) =>
        `| ${row.label} | ${row.baseline} | ${signed(row.addedP50)} | ${signed(row.addedP99)} | ${signed(row.addedMean)} | ${ratio(row.ratioP50)} | ${ratio(row.ratioP99)} |`,
    ),
    "",
    `Throughput at ${result.connections} connections, CPU per request from \`/proc\`:`,
    "",
    "| path | req/s | p99 ms | proxy µs/req | upstreams µs/req | load generator µs/req | other processes | errors |",
    "|---|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of result.throughput) {
    for (const run of row.runs) {
      const cpu = run.cpuMicrosecondsPerRequest;
      lines.push(
        `| ${row.label} | ${perSecond(run.requestsPerSecond)} | ${milliseconds(run.latency.p99)} | ${fixed(cpu["proxy"], 0)} | ${fixed(cpu["upstreams"], 0)} | ${fixed(cpu["client"], 0)} | ${run.otherProcessesCpuShare === undefined ? "n/a" : percent(run.otherProcessesCpuShare)} | ${run.errors} |`,
      );
    }
  }
  return lines;
}

function throughputTables(results: BenchmarkResults): string[] {
  const { throughput, settings } = results;
  const lines = [
    `| path | ${settings.concurrency.map((connections) => `${connections} conn. req/s`).join(" | ")} | ${settings.concurrency.map((connections) => `p99 ms @${connections}`).join(" | ")} | errors |`,
    `|---|${settings.concurrency.map(() => "--:").join("|")}|${settings.concurrency.map(() => "--:").join("|")}|--:|`,
  ];
  for (const row of throughput) {
    const errors = row.runs.reduce((sum, run) => sum + run.errors, 0);
    const firstError = row.runs.find((run) => run.firstError)?.firstError;
    lines.push(
      `| ${row.label} | ${settings.concurrency.map((connections) => perSecond(row.runs.find((run) => run.connections === connections)?.requestsPerSecond)).join(" | ")} | ${settings.concurrency
        .map((connections) => milliseconds(row.runs.find((run) => run.connections === connections)?.latency.p99))
        .join(" | ")} | ${errors}${firstError ? ` (${firstError.replaceAll("|", "/")})` : ""} |`,
    );
  }
  lines.push(
    "",
    "CPU per request, from `/proc/<pid>/stat` (CPU actually used, so waiting for a core does not count), and how much of the machine other processes took:",
    "",
    "| path | conn. | req/s | hop (proxy or forwarder) µs/req | upstreams µs/req | load generator µs/req | other processes |",
    "|---|--:|--:|--:|--:|--:|--:|",
  );
  for (const row of throughput) {
    for (const run of row.runs) {
      const cpu = run.cpuMicrosecondsPerRequest;
      lines.push(
        `| ${row.id} | ${run.connections} | ${perSecond(run.requestsPerSecond)} | ${fixed(cpu["proxy"], 0)} | ${fixed(cpu["upstreams"], 0)} | ${fixed(cpu["client"], 0)} | ${run.otherProcessesCpuShare === undefined ? "n/a" : percent(run.otherProcessesCpuShare)} |`,
      );
    }
  }
  lines.push(
    "",
    "| ratio | " + settings.concurrency.map((connections) => `${connections} conn.`).join(" | ") + " |",
    "|---|" + settings.concurrency.map(() => "--:").join("|") + "|",
  );
  const pairs: Array<[string, string, string]> = [
    ["(c) unified ÷ (a) direct embedding + search", "unified", "direct"],
    ["(d) passthrough ÷ (a') direct Milvus", "passthrough", "direct_milvus"],
    ["(f) bare Node forwarder ÷ (a') direct Milvus: the ceiling for any Node hop here", "bare_forwarder", "direct_milvus"],
    ["(d) passthrough ÷ (f) bare Node forwarder: the gateway's logic alone", "passthrough", "bare_forwarder"],
  ];
  for (const [label, path, baseline] of pairs) {
    lines.push(
      `| ${label} | ${settings.concurrency
        .map((connections) => {
          const measured = throughputAt(throughput, path, connections)?.requestsPerSecond;
          const reference = throughputAt(throughput, baseline, connections)?.requestsPerSecond;
          return measured !== undefined && reference !== undefined ? percent(measured / reference) : "n/a";
        })
        .join(" | ")} |`,
    );
  }
  const highest = settings.concurrency[settings.concurrency.length - 1] as number;
  const forwarderCpu = throughputAt(throughput, "bare_forwarder", highest)?.cpuMicrosecondsPerRequest["proxy"];
  const passthroughCpu = throughputAt(throughput, "passthrough", highest)?.cpuMicrosecondsPerRequest["proxy"];
  if (forwarderCpu !== undefined && passthroughCpu !== undefined) {
    lines.push(
      "",
      `At ${highest} connections a bare Node hop (f) costs ${forwarderCpu.toFixed(0)} µs of CPU per request on this machine and the gateway's passthrough (d) ${passthroughCpu.toFixed(0)} µs: ` +
        `${(((passthroughCpu - forwarderCpu) / passthroughCpu) * 100).toFixed(0)} % of the passthrough's CPU is the gateway's own work (auth, validation, rewriting, logging, spend rows), the rest is the price of any Node hop. ` +
        `With an upstream this cheap (${fixed(throughputAt(throughput, "direct_milvus", highest)?.cpuMicrosecondsPerRequest["upstreams"], 0)} µs per search) even the bare hop reaches only ${percent((throughputAt(throughput, "bare_forwarder", highest)?.requestsPerSecond ?? Number.NaN) / (throughputAt(throughput, "direct_milvus", highest)?.requestsPerSecond ?? Number.NaN))} of direct throughput on 2 shared cores.`,
    );
  }
  return lines;
}

/** What the shares say, in words: which side of the line (the gateway's own code, or the HTTP hop) to work on. */
function reading(gatewayShare: number, platformShare: number, summary: CpuProfileSummary): string {
  const topGateway = summary.top.filter((entry) => !["Node core", "V8", "undici", "Hono"].some((prefix) => entry.category.startsWith(prefix))).slice(0, 3);
  const named = topGateway.map((entry) => `\`${entry.functionName}\` (${entry.location}, ${entry.percent.toFixed(1)} %)`).join(", ");
  return (
    `Reading: about ${gatewayShare.toFixed(0)} % of the proxy's busy CPU is the gateway's own doing (vs code, zod validation, pino, the spend-row and key writes/reads in the database, Fetch Request/Response objects built because the app asked for them; other dependencies excluded); ` +
    `about ${platformShare.toFixed(0)} % is the price of HTTP hops in Node — the HTTP server and sockets (Node core), JSON and GC (V8 native), the upstream client (undici), the Request/Response adapter (Hono + @hono/node-server) — ` +
    "paid once towards the caller and once per upstream call (two per unified search). " +
    (gatewayShare >= platformShare
      ? `The gateway's own code is the larger part, so that is where time can be won${named ? `; its heaviest functions: ${named}` : ""}.`
      : `The HTTP hops are the larger part: fewer conversions per hop (the Fetch Request/Response adapter, re-serialising the 512-float vector) win more than faster gateway logic${named ? `; the gateway's heaviest functions: ${named}` : ""}.`)
  );
}

export function profileSection(profile: ProfileResult, unprofiledProxyCpuMicroseconds?: number): string[] {
  if (profile.status !== "measured" || !profile.summary) return [`Not measured: ${profile.reason ?? profile.status}.`];
  const { summary } = profile;
  const share = (name: string) => summary.categories.find((category) => category.category.startsWith(name))?.percent ?? 0;
  const gatewayShare = share("gateway") + share("zod") + share("pino") + share("database") + share("Fetch");
  const platformShare = share("Node core") + share("V8") + share("undici") + share("Hono");
  const lines = [
    `\`node --cpu-prof\` on a proxy under unified-search load (${profile.connections} connections, ${perSecond(profile.throughput?.requestsPerSecond)} req/s, warn log, cache off). ` +
      `Window: ${(summary.windowMs / 1000).toFixed(1)} s of samples${summary.windowApplied ? " taken during the load only" : " (the whole profile: start-up included)"}; ` +
      `busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s (sampled wall time: waiting for a core counts as busy); ` +
      `**${fixed(profile.cpuMicrosecondsPerRequest, 0)} µs of proxy CPU per request** (from /proc). Percentages are of busy samples.`,
    "",
    "| category | self ms | share |",
    "|---|--:|--:|",
    ...summary.categories.map((category) => `| ${category.category} | ${category.selfMs.toFixed(0)} | ${category.percent.toFixed(1)} % |`),
    "",
    ...(unprofiledProxyCpuMicroseconds !== undefined && Number.isFinite(unprofiledProxyCpuMicroseconds) && profile.cpuMicrosecondsPerRequest !== undefined
      ? [
          `The profiler has a price: the same load on an unprofiled proxy took ${unprofiledProxyCpuMicroseconds.toFixed(0)} µs of CPU per request, ${(profile.cpuMicrosecondsPerRequest / unprofiledProxyCpuMicroseconds).toFixed(1)}× less; read the shares, not the absolute times.`,
          "",
        ]
      : []),
    `| # | function | where | category | self ms | share |`,
    "|--:|---|---|---|--:|--:|",
    ...summary.top.map(
      (entry, index) =>
        `| ${index + 1} | \`${entry.functionName}\` | ${entry.location} | ${entry.category} | ${entry.selfMs.toFixed(0)} | ${entry.percent.toFixed(1)} % |`,
    ),
    "",
    reading(gatewayShare, platformShare, summary),
  ];
  return lines;
}

export function ingestionSection(result: IngestionResult): string[] {
  if (result.status !== "measured") return [`Not measured: ${result.reason ?? result.status}.`];
  return [
    `Milvus Lite (gRPC) and the local embedding model; a vector store created through the proxy, ${result.files} Markdown files uploaded and attached as one batch ` +
      "(static 100-token chunks), polled until completed; then the same chunks embedded by the same model directly, in batches of 64 with 4 calls in flight as ingestion makes them.",
    "",
    "| | chunks | seconds | chunks/s |",
    "|---|--:|--:|--:|",
    `| ingestion through the proxy (upload → completed) | ${result.chunks} | ${fixed((result.ingestionMs ?? Number.NaN) / 1000, 2)} | ${fixed(result.chunksPerSecond ?? Number.NaN, 1)} |`,
    `| the embedding model alone | ${result.chunks} | ${fixed((result.modelMs ?? Number.NaN) / 1000, 2)} | ${fixed(result.modelChunksPerSecond ?? Number.NaN, 1)} |`,
    "",
    `Ingestion keeps ${percent(result.share ?? Number.NaN)} of the model's own rate; the rest is parsing, chunking, the upserts into Milvus, the queue and the bookkeeping.`,
  ];
}

function endToEndSection(result: EndToEndResult): string[] {
  if (result.status !== "measured") return [`Not measured: ${result.reason ?? result.status}.`];
  const rows: Array<[string, LatencySummary | undefined]> = [
    ["client wall time", result.total],
    ["embedding (local model, `server-timing: embedding`)", result.embedding],
    ["Milvus Lite search over gRPC (`server-timing: upstream`)", result.upstream],
    ["gateway (`x-vs-overhead-ms`)", result.gateway],
    ["HTTP + client (wall time − the three above)", result.httpAndClient],
  ];
  return [
    `Milvus Lite (gRPC, started in ${fixed((result.milvusLiteStartMs ?? Number.NaN) / 1000, 1)} s), the demo corpus (${result.rows} passages) embedded with the local model and loaded in ${fixed((result.loadMs ?? Number.NaN) / 1000, 1)} s, ` +
      `then ${result.searches} sequential unified searches with different queries (cache off, top 5). Errors: ${result.errors}${result.firstError ? ` (${result.firstError})` : ""}.`,
    "",
    "| part | mean ms | p50 ms | p99 ms |",
    "|---|--:|--:|--:|",
    ...rows.map(([label, summary]) => `| ${label} | ${milliseconds(summary?.mean)} | ${milliseconds(summary?.p50)} | ${milliseconds(summary?.p99)} |`),
    "",
    result.total && result.gateway
      ? `The gateway's own share of a real search here: ${percent((result.gateway.mean + (result.httpAndClient?.mean ?? 0)) / result.total.mean)} of the wall time (gateway + HTTP), the rest is embedding and Milvus.`
      : "",
  ];
}

/**
 * Where (c)'s added median goes: the price of one more Node HTTP hop (the bare forwarder over direct Milvus), the time
 * the gateway itself reports inside its handler, and the remainder (the Hono adapter, middleware, writing the answer).
 */
function decomposition(results: BenchmarkResults): string[] {
  const unified = results.overhead.find((row) => row.id === "unified");
  const hop = results.overhead.find((row) => row.id === "bare_forwarder");
  if (!unified || !hop || !Number.isFinite(unified.addedP50) || !Number.isFinite(hop.addedP50)) return [""];
  const inside = results.gatewayReportedOverhead.p50;
  const rest = unified.addedP50 - hop.addedP50 - inside;
  return [
    `Where (c)'s added ${unified.addedP50.toFixed(3)} ms (p50) goes: ~${hop.addedP50.toFixed(3)} ms is one more HTTP hop through Node at all ((f) − (a')), ` +
      `~${inside.toFixed(3)} ms is the gateway's handler by its own account, and the remaining ~${rest.toFixed(3)} ms is around the handler: the Hono adapter and routing, ` +
      "auth and request-tracking middleware, serialising and writing the page. (Medians do not add up exactly; read it as an order of size.)",
    "",
  ];
}

/** Above this share of the machine taken by other processes, the run is flagged as noisy. */
const NOISY_SHARE = 0.1;

function noiseLine(results: BenchmarkResults): string {
  const { noise } = results;
  const shares = [noise.latencyOtherProcessesCpuShare, noise.throughputOtherProcessesCpuShare].filter((share): share is number => share !== null);
  const summary =
    `Other processes on the machine used ${noise.latencyOtherProcessesCpuShare === null ? "n/a" : percent(noise.latencyOtherProcessesCpuShare)} of it during the latency runs and ` +
    `${noise.throughputOtherProcessesCpuShare === null ? "n/a" : percent(noise.throughputOtherProcessesCpuShare)} on average during the throughput runs (load average at start ${noise.loadAverageAtStart.join(" / ")}).`;
  return shares.some((share) => share > NOISY_SHARE)
    ? `${summary} **This run shared the machine with other work: latencies are inflated and throughputs deflated; the CPU-per-request figures (from /proc) are the least affected.**`
    : summary;
}

export function renderMarkdown(results: BenchmarkResults): string {
  const { machine, settings } = results;
  const unified = results.overhead.find((row) => row.id === "unified");
  const lines: string[] = [
    "# Benchmarks — what the gateway costs",
    "",
    `Generated by \`pnpm bench\` (\`node packages/bench/dist/run.js\`${settings.quick ? " --quick: a smoke run, numbers are not representative" : ""}) on ${machine.date}, in ${results.durationSeconds.toFixed(0)} s.`,
    "",
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; commit ${machine.commit}.`,
    "",
    noiseLine(results),
    "",
    "## How it is measured",
    "",
    `- Upstreams: ${settings.upstream}, in a child process of their own on 127.0.0.1.`,
    `- The proxy: \`node ${settings.proxyCli} --config <temp> --port <free> --host 127.0.0.1 --data-dir <temp>\` in another child process (embedded PGlite for keys and spend rows), ` +
      "one store `bench-store` → the fake Milvus with `openai/bench` → the fake embeddings; `log_level: warn`, `embedding_cache: {enabled: false}` unless a row says otherwise. " +
      "Every proxy call uses a virtual key (`POST /key/generate`) that may read the store and the virtual index `bench-index` (`POST /v1/indexes`).",
    `- Latency: sequential, one keep-alive connection per path (undici Pool), ${settings.latencyWarmup} warm-up requests then ${settings.latencyRequests} measured per path, ` +
      `interleaved in ${settings.latencyRounds} rounds so that drift hits every path alike. The client parses and checks every answer.`,
    `- Throughput: closed loops on an undici Pool (N connections, N loops), ${settings.throughputSeconds} s per point after a warm-up. ` +
      "The load generator, the upstreams and the proxy share the same cores, so a ratio is the whole machine's answer, not the proxy's alone.",
    "- Overhead = path − baseline, per statistic (p50 − p50, p99 − p99): the time a client pays for going through the gateway instead of calling the upstreams itself.",
    "",
    "## Targets",
    "",
    "| target | limit | measured | |",
    "|---|---|---|---|",
    ...results.targets.map((row) => `| ${row.target} | ${row.limit} | ${row.measured} | ${row.met ? "✅" : "❌"} ${row.margin} |`),
    "",
    "## Latency (sequential)",
    "",
    ...latencyTable(results.latency),
    "",
    "## Overhead",
    "",
    "| path | vs | added p50 ms | added p99 ms | added mean ms | ratio p50 | ratio p99 |",
    "|---|---|--:|--:|--:|--:|--:|",
    ...results.overhead.map(
      (row) =>
        `| ${row.label} | ${row.baseline} | ${signed(row.addedP50)} | ${signed(row.addedP99)} | ${signed(row.addedMean)} | ${ratio(row.ratioP50)} | ${ratio(row.ratioP99)} |`,
    ),
    "",
    `The proxy's own account of (c), \`x-vs-overhead-ms\` (time inside the gateway minus embedding and Milvus, HTTP parsing and writing excluded): ` +
      `p50 ${milliseconds(results.gatewayReportedOverhead.p50)} ms, p99 ${milliseconds(results.gatewayReportedOverhead.p99)} ms, mean ${milliseconds(results.gatewayReportedOverhead.mean)} ms.`,
    "",
    ...decomposition(results),
    `Request log at \`info\` instead of \`warn\` (one JSON line per request into a file): ${signed(results.logging.addedP50)} ms p50, ${signed(results.logging.addedP99)} ms p99, ${signed(results.logging.addedMean)} ms mean` +
      `${results.logging.bytesPerRequest === null ? "" : `; ${results.logging.bytesPerRequest.toFixed(0)} bytes of log per request`}.`,
    "",
    "### Against other gateways (added per request, sequential, localhost upstream)",
    "",
    "| system | added ms | conditions |",
    "|---|--:|---|",
    ...COMPETITORS.map((competitor) => `| ${competitor.system} | ~${competitor.addedMs} | ${competitor.conditions} |`),
    `| **vs proxy, unified search (this run)** | ${unified ? `${unified.addedMean.toFixed(2)} mean, ${unified.addedP50.toFixed(2)} p50` : "n/a"} | this machine; embedding + Milvus search behind one call |`,
    "",
    "The other figures come from an independent test on other hardware with a one-call upstream; vs's figure covers two upstream calls (embedding, then Milvus). Compare orders of magnitude, not decimals.",
    "",
    "## Throughput",
    "",
    ...throughputTables(results),
    "",
    `## ${results.largeVectors.dimensions}-d vectors`,
    "",
    ...largeVectorsSection(results.largeVectors),
    "",
    "## Memory (proxy process)",
    "",
    "Peak RSS is VmHWM from `/proc/<pid>/status`. The lifetime peak of a PGlite proxy is its start-up (PGlite's initdb), so the peak is reset " +
      "(`echo 5 > /proc/<pid>/clear_refs`) before the high-concurrency run: the peak shown for that run is the run's own.",
    "",
    "| proxy | when | peak RSS | RSS now |",
    "|---|---|--:|--:|",
    `| embedded PGlite (main) | after start and set-up (lifetime peak: start-up) | ${megabytes(results.memory.afterStart, "peakRssMb")} | ${megabytes(results.memory.afterStart, "rssMb")} |`,
    `| embedded PGlite (main) | after the latency and ≤ 64-connection runs | ${megabytes(results.memory.beforeHighConcurrency, "peakRssMb")} | ${megabytes(results.memory.beforeHighConcurrency, "rssMb")} |`,
    `| embedded PGlite (main) | during ${results.memory.run256?.connections ?? 256} connections of unified search (${perSecond(results.memory.run256?.requestsPerSecond)} req/s, p99 ${milliseconds(results.memory.run256?.latency.p99)} ms, ${results.memory.run256?.errors ?? "n/a"} errors)${results.memory.peakResetBefore256 ? "" : " — peak not reset: lifetime peak"} | ${megabytes(results.memory.after256Connections, "peakRssMb")} | ${megabytes(results.memory.after256Connections, "rssMb")} |`,
    ...(results.workers.postgresProxyAtHighConcurrency
      ? [
          `| PostgreSQL (\`--workers 1\`) | after the 64-connection run | ${megabytes(results.workers.postgresProxyAtHighConcurrency.memoryBefore, "peakRssMb")} | ${megabytes(results.workers.postgresProxyAtHighConcurrency.memoryBefore, "rssMb")} |`,
          `| PostgreSQL (\`--workers 1\`) | during ${results.workers.postgresProxyAtHighConcurrency.throughput.connections} connections (${perSecond(results.workers.postgresProxyAtHighConcurrency.throughput.requestsPerSecond)} req/s, p99 ${milliseconds(results.workers.postgresProxyAtHighConcurrency.throughput.latency.p99)} ms)${results.workers.postgresProxyAtHighConcurrency.peakResetBefore ? "" : " — peak not reset: lifetime peak"} | ${megabytes(results.workers.postgresProxyAtHighConcurrency.memory, "peakRssMb")} | ${megabytes(results.workers.postgresProxyAtHighConcurrency.memory, "rssMb")} |`,
        ]
      : []),
    "",
    "## Workers (`vs-proxy --workers N`, unified search)",
    "",
    ...(results.workers.status === "measured" && results.workers.runs
      ? [
          `PostgreSQL (a private cluster on 127.0.0.1) holds keys and spend rows, as \`--workers\` requires; ${results.workers.connections} connections.`,
          "",
          "| workers | req/s | p50 ms | p99 ms | errors | peak RSS, all processes |",
          "|--:|--:|--:|--:|--:|--:|",
          ...results.workers.runs.map(
            (run) =>
              `| ${run.workers} | ${perSecond(run.throughput.requestsPerSecond)} | ${milliseconds(run.throughput.latency.p50)} | ${milliseconds(run.throughput.latency.p99)} | ${run.throughput.errors} | ${run.peakRssMbAllProcesses === null ? "n/a" : `${run.peakRssMbAllProcesses.toFixed(0)} MB`} |`,
          ),
          "",
          `On ${machine.cores} cores the load generator and the upstreams compete with the workers; more workers pay off with cores to spare.`,
        ]
      : [`Not measured: ${results.workers.reason ?? results.workers.status}.`]),
    "",
    "## Profile of the proxy",
    "",
    ...profileSection(
      results.profile,
      results.profile.connections === undefined
        ? undefined
        : throughputAt(results.throughput, "unified", results.profile.connections)?.cpuMicrosecondsPerRequest["proxy"],
    ),
    "",
    "## End to end: Milvus Lite + the local embedding model",
    "",
    ...endToEndSection(results.endToEnd),
    "",
    "## Ingestion: upload → completed, against the embedding model's own rate",
    "",
    ...ingestionSection(results.ingestion ?? { status: "skipped", reason: "not part of this run" }),
    "",
    "Raw numbers: `docs/benchmarks.json`.",
    "",
  ];
  return lines.join("\n");
}

/** Rounds every number in the results for the JSON file (3 decimals under 10, fewer above). */
export function roundedForJson(value: unknown): unknown {
  if (typeof value === "number") return round(value);
  if (Array.isArray(value)) return value.map(roundedForJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, roundedForJson(item)]));
  return value;
}
