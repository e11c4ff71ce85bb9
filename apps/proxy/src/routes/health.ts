import { Hono } from "hono";
import type { Env } from "../http/context.js";

export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects with a message that names no credential. */
  check(): Promise<void>;
}

export interface ReadinessResult {
  name: string;
  ok: boolean;
  error: string | null;
}

export async function runReadinessChecks(checks: ReadinessCheck[]): Promise<ReadinessResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await check();
        return { name, ok: true, error: null };
      } catch (error) {
        return { name, ok: false, error: (error as Error).message };
      }
    }),
  );
}

/**
 * A check whose outcome is reused for `ttlMs`, and whose concurrent callers share one run: readiness is polled
 * (load balancers, Kubernetes), and each poll must not become a call to every upstream.
 */
export function cachedCheck(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let last: { at: number; outcome: Promise<void> } | undefined;
  return () => {
    if (last === undefined || Date.now() - last.at >= ttlMs) {
      const outcome = check();
      // The run's start is its time: a slow failing probe is not re-run by the very next poll.
      last = { at: Date.now(), outcome };
      outcome.catch(() => undefined);
    }
    return last.outcome;
  };
}

/**
 * Liveliness: the process answers. Readiness: every dependency answers (database, embedded Milvus, each configured
 * vector store) — 200 `{status: "healthy", checks: [{name, ok, error}]}` or 503 naming the ones that do not.
 */
export function healthRoutes(checks: ReadinessCheck[]): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/health/liveliness", (c) => c.json({ status: "healthy" }));
  app.get("/health/liveness", (c) => c.json({ status: "healthy" }));
  app.get("/health/readiness", async (c) => {
    const results = await runReadinessChecks(checks);
    const ready = results.every((result) => result.ok);
    return c.json({ status: ready ? "healthy" : "unhealthy", checks: results }, ready ? 200 : 503);
  });
  return app;
}
