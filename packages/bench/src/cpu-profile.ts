import { z } from "zod";

/** The parts of V8's `.cpuprofile` (written by `node --cpu-prof`) this summary reads. */
export const cpuProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  /** Microseconds, on the same monotonic clock as `process.hrtime` on Linux. */
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.infer<typeof cpuProfileSchema>;

export type CodeCategory =
  | "gateway (vs packages, apps/proxy)"
  | "Hono + @hono/node-server"
  | "Fetch Request/Response + web streams (built on demand)"
  | "undici (upstream HTTP client)"
  | "zod (validation)"
  | "pino (logging)"
  | "database (Prisma, PGlite)"
  | "Node core (http, net, streams, timers)"
  | "V8 native / builtins (JSON, GC, compiled code)"
  | "other dependencies";

export interface FunctionSelfTime {
  functionName: string;
  /** Shortened: `undici/lib/…`, `packages/core/dist/…`, `node:internal/…`. */
  location: string;
  category: CodeCategory;
  selfMs: number;
  /** Share of the busy (not idle) time in the window. */
  percent: number;
}

export interface CpuProfileSummary {
  /** Sampled time inside the window, idle included. */
  windowMs: number;
  busyMs: number;
  idleMs: number;
  sampleCount: number;
  /** False when the window did not overlap the profile (clocks differ) and the whole profile was used. */
  windowApplied: boolean;
  top: FunctionSelfTime[];
  categories: Array<{ category: CodeCategory; selfMs: number; percent: number }>;
}

const NATIVE_ENTRIES = new Set(["(garbage collector)", "(program)"]);
/** Node's C++ bindings for sockets and streams: native frames, but Node's I/O, not V8's work. */
const NODE_IO_BINDINGS = new Set([
  "writev",
  "writeBuffer",
  "writeUtf8String",
  "writeLatin1String",
  "writeAsciiString",
  "writeUcs2String",
  "readStart",
  "readStop",
  "shutdown",
  "close",
  "connect",
  "setNoDelay",
  "setKeepAlive",
]);

export function categorize(functionName: string, url: string): CodeCategory {
  if (url === "" && NODE_IO_BINDINGS.has(functionName)) return "Node core (http, net, streams, timers)";
  if (url === "" || NATIVE_ENTRIES.has(functionName)) return "V8 native / builtins (JSON, GC, compiled code)";
  // Node's bundled undici (Fetch API classes) and web streams: @hono/node-server builds these only when the app asks.
  if (url.startsWith("node:internal/deps/undici") || url.startsWith("node:internal/webstreams"))
    return "Fetch Request/Response + web streams (built on demand)";
  if (url.startsWith("node:")) return "Node core (http, net, streams, timers)";
  // The proxy's only WebAssembly is the database's: PGlite (PostgreSQL in Wasm) and Prisma 7's query compiler.
  if (url.startsWith("wasm://")) return "database (Prisma, PGlite)";
  if (/\/node_modules\/(?:hono|@hono\/node-server)\//.test(url)) return "Hono + @hono/node-server";
  if (url.includes("/node_modules/undici/")) return "undici (upstream HTTP client)";
  if (url.includes("/node_modules/zod/")) return "zod (validation)";
  if (/\/node_modules\/(?:pino|sonic-boom|pino-std-serializers|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free)\//.test(url))
    return "pino (logging)";
  if (/\/node_modules\/(?:@prisma|prisma|@electric-sql|pglite-prisma-adapter|pg|pg-protocol|pg-pool)\//.test(url) || url.includes("/packages/auth/"))
    return "database (Prisma, PGlite)";
  if (url.includes("/node_modules/")) return "other dependencies";
  if (/\/(?:packages|apps)\//.test(url)) return "gateway (vs packages, apps/proxy)";
  return "other dependencies";
}

/** `file:///…/node_modules/.pnpm/undici@7.16.0/node_modules/undici/lib/x.js` → `undici/lib/x.js`; repo files relative. */
export function shortLocation(url: string, lineNumber: number): string {
  if (url === "") return "(native)";
  let location = url.replace(/^file:\/\//, "");
  const modules = location.lastIndexOf("/node_modules/");
  if (modules >= 0) location = location.slice(modules + "/node_modules/".length);
  else {
    const repository = /\/((?:packages|apps)\/.*)$/.exec(location);
    if (repository) location = repository[1] as string;
  }
  return lineNumber >= 0 ? `${location}:${lineNumber + 1}` : location;
}

/**
 * Self time per function (name + script + line), counting only samples inside `[windowStartUs, windowEndUs]` when
 * given. A sample's time is the gap to the next sample, as Chrome DevTools counts it. Idle time is reported apart
 * and percentages are of busy time.
 */
export function summarizeCpuProfile(profile: CpuProfile, options: { top?: number; windowStartUs?: number; windowEndUs?: number } = {}): CpuProfileSummary {
  const frames = new Map<number, CpuProfile["nodes"][number]["callFrame"]>();
  for (const node of profile.nodes) frames.set(node.id, node.callFrame);
  const timestamps: number[] = [];
  let clock = profile.startTime;
  for (const delta of profile.timeDeltas) {
    clock += delta;
    timestamps.push(clock);
  }
  const first = timestamps[0] ?? profile.startTime;
  const last = timestamps[timestamps.length - 1] ?? profile.endTime;
  const windowApplied = options.windowStartUs !== undefined && options.windowEndUs !== undefined && options.windowStartUs < last && options.windowEndUs > first;
  const from = windowApplied ? (options.windowStartUs as number) : -Infinity;
  const to = windowApplied ? (options.windowEndUs as number) : Infinity;

  const byFunction = new Map<string, FunctionSelfTime>();
  let windowUs = 0;
  let idleUs = 0;
  let sampleCount = 0;
  profile.samples.forEach((nodeId, index) => {
    const at = timestamps[index] as number;
    if (at < from || at > to) return;
    const next = index + 1 < timestamps.length ? (timestamps[index + 1] as number) : profile.endTime;
    const durationUs = Math.max(0, next - at);
    const frame = frames.get(nodeId);
    if (!frame) return;
    sampleCount++;
    windowUs += durationUs;
    if (frame.functionName === "(idle)") {
      idleUs += durationUs;
      return;
    }
    const functionName = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    const key = `${functionName}\u0000${frame.url}\u0000${frame.lineNumber}`;
    let entry = byFunction.get(key);
    if (!entry) {
      entry = {
        functionName,
        location: shortLocation(frame.url, frame.lineNumber),
        category: categorize(frame.functionName, frame.url),
        selfMs: 0,
        percent: 0,
      };
      byFunction.set(key, entry);
    }
    entry.selfMs += durationUs / 1000;
  });

  const busyMs = (windowUs - idleUs) / 1000;
  const all = [...byFunction.values()];
  for (const entry of all) entry.percent = busyMs > 0 ? (entry.selfMs / busyMs) * 100 : 0;
  const categoryTotals = new Map<CodeCategory, number>();
  for (const entry of all) categoryTotals.set(entry.category, (categoryTotals.get(entry.category) ?? 0) + entry.selfMs);
  return {
    windowMs: windowUs / 1000,
    busyMs,
    idleMs: idleUs / 1000,
    sampleCount,
    windowApplied,
    top: all.sort((left, right) => right.selfMs - left.selfMs).slice(0, options.top ?? 15),
    categories: [...categoryTotals.entries()]
      .map(([category, selfMs]) => ({ category, selfMs, percent: busyMs > 0 ? (selfMs / busyMs) * 100 : 0 }))
      .sort((left, right) => right.selfMs - left.selfMs),
  };
}
