import { Hono } from "hono";
import type { Env } from "../http/context.js";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Liveliness: the process answers. Readiness: every dependency answers (database, embedded Milvus). */
export function healthRoutes(checks: ReadinessCheck[]): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/health/liveliness", (c) => c.json({ status: "healthy" }));
  app.get("/health/liveness", (c) => c.json({ status: "healthy" }));
  app.get("/health/readiness", async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check();
          return [name, "ok"] as const;
        } catch (error) {
          return [name, `unavailable: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === "ok");
    return c.json({ status: ready ? "healthy" : "unhealthy", checks: Object.fromEntries(results) }, ready ? 200 : 503);
  });
  return app;
}
