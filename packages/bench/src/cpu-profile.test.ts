import { describe, expect, it } from "vitest";
import { categorize, cpuProfileSchema, shortLocation, summarizeCpuProfile, type CpuProfile } from "./cpu-profile.js";

const UNDICI = "file:///work/main/node_modules/.pnpm/undici@7.16.0/node_modules/undici/lib/core/request.js";
const GATEWAY = "file:///work/main/packages/core/dist/validation.js";

/** root → fetch (undici), parseInput (gateway), (idle); samples at 1000, 1100, 1200, 1500 µs; profile ends at 1600. */
const profile: CpuProfile = cpuProfileSchema.parse({
  nodes: [
    { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 3, 4] },
    { id: 2, callFrame: { functionName: "request", url: UNDICI, lineNumber: 47 } },
    { id: 3, callFrame: { functionName: "parseInput", url: GATEWAY, lineNumber: 9 } },
    { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
  ],
  startTime: 1000,
  endTime: 1600,
  samples: [2, 2, 3, 4],
  timeDeltas: [0, 100, 100, 300],
});

describe("summarizeCpuProfile", () => {
  it("gives each sample the time to the next one and reports idle apart", () => {
    const summary = summarizeCpuProfile(profile);
    expect(summary.sampleCount).toBe(4);
    expect(summary.windowMs).toBeCloseTo(0.6);
    expect(summary.idleMs).toBeCloseTo(0.1);
    expect(summary.busyMs).toBeCloseTo(0.5);
    expect(summary.top.map((entry) => [entry.functionName, Number(entry.selfMs.toFixed(3)), Math.round(entry.percent)])).toEqual([
      ["parseInput", 0.3, 60],
      ["request", 0.2, 40],
    ]);
    expect(summary.top[1]?.location).toBe("undici/lib/core/request.js:48");
    expect(summary.categories.map((category) => category.category)).toEqual(["gateway (vs packages, apps/proxy)", "undici (upstream HTTP client)"]);
  });

  it("counts only the samples inside the window when the window overlaps the profile", () => {
    const summary = summarizeCpuProfile(profile, { windowStartUs: 1150, windowEndUs: 1600 });
    expect(summary.windowApplied).toBe(true);
    expect(summary.busyMs).toBeCloseTo(0.3);
    expect(summary.top.map((entry) => entry.functionName)).toEqual(["parseInput"]);
  });

  it("falls back to the whole profile when the window misses it (another clock)", () => {
    const summary = summarizeCpuProfile(profile, { windowStartUs: 10_000_000, windowEndUs: 20_000_000 });
    expect(summary.windowApplied).toBe(false);
    expect(summary.busyMs).toBeCloseTo(0.5);
  });

  it("keeps only the requested number of functions", () => {
    expect(summarizeCpuProfile(profile, { top: 1 }).top).toHaveLength(1);
  });
});

describe("categorize", () => {
  it.each([
    ["writev", "", "Node core (http, net, streams, timers)"],
    ["(garbage collector)", "", "V8 native / builtins (JSON, GC, compiled code)"],
    ["parse", "", "V8 native / builtins (JSON, GC, compiled code)"],
    ["onStreamRead", "node:internal/stream_base_commons", "Node core (http, net, streams, timers)"],
    ["_Request", "node:internal/deps/undici/undici", "Fetch Request/Response + web streams (built on demand)"],
    ["pull", "node:internal/webstreams/readablestream", "Fetch Request/Response + web streams (built on demand)"],
    ["json", "file:///r/node_modules/.pnpm/hono@4/node_modules/hono/dist/context.js", "Hono + @hono/node-server"],
    ["get", "file:///r/node_modules/.pnpm/@hono+node-server@1/node_modules/@hono/node-server/dist/index.mjs", "Hono + @hono/node-server"],
    ["parse", "file:///r/node_modules/.pnpm/zod@4/node_modules/zod/v4/core/schemas.js", "zod (validation)"],
    ["write", "file:///r/node_modules/.pnpm/sonic-boom@4/node_modules/sonic-boom/index.js", "pino (logging)"],
    ["request", "file:///r/node_modules/.pnpm/@prisma+client@7/node_modules/@prisma/client/runtime/client.js", "database (Prisma, PGlite)"],
    ["wasm-function[12]", "wasm://wasm/00d1cb12", "database (Prisma, PGlite)"],
    ["record", "file:///r/packages/auth/dist/store.js", "database (Prisma, PGlite)"],
    ["trackRequest", "file:///r/apps/proxy/dist/app.js", "gateway (vs packages, apps/proxy)"],
    ["x", "file:///r/node_modules/.pnpm/yaml@2/node_modules/yaml/dist/index.js", "other dependencies"],
  ])("%s in %s → %s", (functionName, url, category) => {
    expect(categorize(functionName, url)).toBe(category);
  });
});

describe("shortLocation", () => {
  it("drops the store path of a dependency and the repository root of our files", () => {
    expect(shortLocation(UNDICI, 0)).toBe("undici/lib/core/request.js:1");
    expect(shortLocation(GATEWAY, 45)).toBe("packages/core/dist/validation.js:46");
    expect(shortLocation("node:internal/timers", -1)).toBe("node:internal/timers");
    expect(shortLocation("", 3)).toBe("(native)");
  });
});
