import { Hono } from "hono";
import { requireMaster } from "../http/auth.js";
import type { Env } from "../http/context.js";
import type { GatewayMetrics } from "../observability/metrics.js";

/** `GET /metrics` on the gateway's port: the master key only, like every admin route. */
export function metricsRoutes(metrics: GatewayMetrics): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/metrics", requireMaster(), async (c) => {
    const { contentType, body } = await metrics.text();
    return c.body(body, 200, { "content-type": contentType });
  });
  return app;
}
