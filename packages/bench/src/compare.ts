import { join } from "node:path";
import { BENCH_VIRTUAL_KEY } from "./bench-data.js";
import { runSequential, runThroughput, type BenchPath, type SequentialRun, type ThroughputRun } from "./load.js";
import { directMilvusPath, directPath, passthroughPath, unifiedSearchPath, type Upstreams } from "./paths.js";
import { processCpuMs, processTreeCpuMs, systemBusyCpuMs, type ProcessRegistry } from "./processes.js";
import { benchProxyConfig, setUpProxy, startProxyProcess } from "./proxy-process.js";
import { summarize, type LatencySummary } from "./statistics.js";

export interface ComparisonSettings {
  rounds: number;
  perRound: number;
  warmup: number;
  connections: number;
  throughputMs: number;
  throughputWarmupMs: number;
  /** How many times each build's throughput is measured, alternating (ABAB…), so drift hits both alike. */
  throughputRepeats: number;
  /** Size of the vectors (the upstreams' embedding and the passthrough body); default 512. */
  dimensions?: number;
}

interface BuildRuns {
  unified: ThroughputRun[];
  passthrough: ThroughputRun[];
}

/**
 * A/B of two proxy builds on the same machine at the same time: the current `dist/cli.js` and a candidate (a
 * scratch copy with a change). Latency rounds and throughput runs alternate between the two, so whatever else the
 * machine does weighs on both equally. Returns a Markdown report.
 */
export async function compareBuilds(
  processes: ProcessRegistry,
  options: {
    upstreams: Upstreams & { pid: number };
    directory: string;
    baseCli: string;
    candidateCli: string;
    settings: ComparisonSettings;
    log: (line: string) => void;
  },
): Promise<string> {
  const { upstreams, settings, log } = options;
  const size = settings.dimensions === undefined ? {} : { dimensions: settings.dimensions };
  const endpoints = { milvusUrl: upstreams.milvusUrl, embeddingsUrl: upstreams.embeddingsUrl };
  log(`Starting two proxies: base ${options.baseCli} and candidate ${options.candidateCli} …`);
  const [base, candidate] = await Promise.all([
    startProxyProcess(processes, {
      name: "proxy (base)",
      directory: join(options.directory, "base"),
      config: benchProxyConfig({ ...endpoints, logLevel: "warn", embeddingCache: false }),
      cli: options.baseCli,
    }),
    startProxyProcess(processes, {
      name: "proxy (candidate)",
      directory: join(options.directory, "candidate"),
      config: benchProxyConfig({ ...endpoints, logLevel: "warn", embeddingCache: false }),
      cli: options.candidateCli,
    }),
  ]);
  try {
    await Promise.all([setUpProxy(base), setUpProxy(candidate)]);
    const paths: BenchPath[] = [
      { ...directPath(upstreams, size), id: "direct" },
      unifiedSearchPath({ id: "base_unified", label: "base unified", proxyUrl: base.url, key: BENCH_VIRTUAL_KEY }),
      unifiedSearchPath({ id: "candidate_unified", label: "candidate unified", proxyUrl: candidate.url, key: BENCH_VIRTUAL_KEY }),
      { ...directMilvusPath(upstreams, size), id: "direct_milvus" },
      { ...passthroughPath({ proxyUrl: base.url, key: BENCH_VIRTUAL_KEY, ...size }), id: "base_passthrough" },
      { ...passthroughPath({ proxyUrl: candidate.url, key: BENCH_VIRTUAL_KEY, ...size }), id: "candidate_passthrough" },
    ];
    log(`Latency: ${paths.length} paths × ${settings.rounds * settings.perRound} sequential requests in ${settings.rounds} interleaved rounds …`);
    const clients = await Promise.all(paths.map((path) => path.open(1, "latency")));
    const runs = new Map<string, SequentialRun>();
    try {
      for (const client of clients) await runSequential(client.operation, settings.warmup);
      for (let round = 0; round < settings.rounds; round++) {
        for (const [position, client] of clients.entries()) {
          const id = (paths[position] as BenchPath).id;
          runs.set(id, await runSequential(client.operation, settings.perRound, runs.get(id) ?? { samples: [], errors: 0 }));
        }
      }
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
    }
    const latency = (id: string): LatencySummary => summarize(runs.get(id)?.samples ?? []);
    const errors = [...runs.entries()].filter(([, run]) => run.errors > 0).map(([id, run]) => `${id}: ${run.errors} errors (${run.firstError})`);

    log(`Throughput: ${settings.connections} connections, ${settings.throughputRepeats}× per build, alternating …`);
    const throughput: Record<"base" | "candidate", BuildRuns> = { base: { unified: [], passthrough: [] }, candidate: { unified: [], passthrough: [] } };
    for (let repeat = 0; repeat < settings.throughputRepeats; repeat++) {
      for (const [name, proxy] of [
        ["base", base],
        ["candidate", candidate],
      ] as const) {
        for (const kind of ["unified", "passthrough"] as const) {
          const path =
            kind === "unified"
              ? unifiedSearchPath({ id: kind, label: kind, proxyUrl: proxy.url, key: BENCH_VIRTUAL_KEY })
              : passthroughPath({ proxyUrl: proxy.url, key: BENCH_VIRTUAL_KEY, ...size });
          const client = await path.open(settings.connections, "load");
          try {
            const run = await runThroughput(client, {
              connections: settings.connections,
              durationMs: settings.throughputMs,
              warmupMs: settings.throughputWarmupMs,
              cpuOf: { upstreams: () => processCpuMs(upstreams.pid), proxy: () => processTreeCpuMs(proxy.child.pid) },
              systemCpu: systemBusyCpuMs,
            });
            throughput[name][kind].push(run);
            log(
              `  ${name} ${kind}: ${Math.round(run.requestsPerSecond)} req/s, proxy ${run.cpuMicrosecondsPerRequest["proxy"]?.toFixed(0) ?? "?"} µs CPU/req, other processes ${((run.otherProcessesCpuShare ?? 0) * 100).toFixed(0)} %`,
            );
          } finally {
            await client.close();
          }
        }
      }
    }

    const mean = (values: number[]): number => (values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length);
    const requestsPerSecond = (list: ThroughputRun[]) => mean(list.map((run) => run.requestsPerSecond));
    const proxyCpu = (list: ThroughputRun[]) => mean(list.map((run) => run.cpuMicrosecondsPerRequest["proxy"] ?? Number.NaN));
    const change = (before: number, after: number) =>
      Number.isFinite(before) && Number.isFinite(after) && before !== 0
        ? `${after >= before ? "+" : ""}${(((after - before) / before) * 100).toFixed(1)} %`
        : "n/a";
    const row = (label: string, before: number, after: number, digits = 3) =>
      `| ${label} | ${before.toFixed(digits)} | ${after.toFixed(digits)} | ${change(before, after)} |`;
    const direct = latency("direct");
    const directMilvus = latency("direct_milvus");
    const other = mean(
      [...Object.values(throughput).flatMap((build) => [...build.unified, ...build.passthrough])].map((run) => run.otherProcessesCpuShare ?? Number.NaN),
    );
    return [
      `## A/B: \`${options.baseCli}\` (base) vs \`${options.candidateCli}\` (candidate)`,
      "",
      `Sequential: ${settings.rounds * settings.perRound} requests per path in ${settings.rounds} interleaved rounds; throughput: ${settings.connections} connections, ${settings.throughputRepeats} × ${settings.throughputMs / 1000} s per build, alternating. ` +
        `Other processes used ${(other * 100).toFixed(0)} % of the machine during the throughput runs.`,
      "",
      "| metric | base | candidate | change |",
      "|---|--:|--:|--:|",
      row("unified: added p50 ms (c − a)", latency("base_unified").p50 - direct.p50, latency("candidate_unified").p50 - direct.p50),
      row("unified: added p99 ms (c − a)", latency("base_unified").p99 - direct.p99, latency("candidate_unified").p99 - direct.p99),
      row("unified: added mean ms", latency("base_unified").mean - direct.mean, latency("candidate_unified").mean - direct.mean),
      row("passthrough: added p50 ms (d − a')", latency("base_passthrough").p50 - directMilvus.p50, latency("candidate_passthrough").p50 - directMilvus.p50),
      row("passthrough: added p99 ms (d − a')", latency("base_passthrough").p99 - directMilvus.p99, latency("candidate_passthrough").p99 - directMilvus.p99),
      row(`unified req/s @${settings.connections}`, requestsPerSecond(throughput.base.unified), requestsPerSecond(throughput.candidate.unified), 0),
      row(`unified proxy CPU µs/req @${settings.connections}`, proxyCpu(throughput.base.unified), proxyCpu(throughput.candidate.unified), 0),
      row(`passthrough req/s @${settings.connections}`, requestsPerSecond(throughput.base.passthrough), requestsPerSecond(throughput.candidate.passthrough), 0),
      row(`passthrough proxy CPU µs/req @${settings.connections}`, proxyCpu(throughput.base.passthrough), proxyCpu(throughput.candidate.passthrough), 0),
      "",
      `Direct baselines: (a) p50 ${direct.p50.toFixed(3)} ms, p99 ${direct.p99.toFixed(3)} ms; (a') p50 ${directMilvus.p50.toFixed(3)} ms, p99 ${directMilvus.p99.toFixed(3)} ms.`,
      ...(errors.length > 0 ? ["", `Errors: ${errors.join("; ")}`] : []),
      "",
    ].join("\n");
  } finally {
    await Promise.allSettled([base.stop(), candidate.stop()]);
  }
}
