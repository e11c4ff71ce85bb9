import { Hono } from "hono";
import { ServiceUnavailableError } from "@vs/core";
import { requireMaster } from "../http/auth.js";
import type { Env } from "../http/context.js";
import type { MetricsText } from "../observability/cluster-metrics.js";

/**
 * `GET /metrics` on the gateway's port: the master key only, like every admin route. `text` is this process's
 * registry, or in a cluster worker the primary's sum over every worker.
 */
export function metricsRoutes(text: MetricsText): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/metrics", requireMaster(), async (c) => {
    try {
      const { contentType, body } = await text();
      return c.body(body, 200, { "content-type": contentType });
    } catch (error) {
      // A partial or single-worker answer would under-count without saying so; the scraper records a failed scrape.
      throw new ServiceUnavailableError(`Metrics could not be collected from every worker (${(error as Error).message}); try again.`, {
        code: "metrics_unavailable",
        cause: error,
      });
    }
  });
  return app;
}
