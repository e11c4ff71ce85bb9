import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

/**
 * `GET /metrics` on a port of its own, without authentication: for a scraper on a private network, when putting
 * the master key in its config is not wanted. Nothing else is served there.
 */
export async function serveMetrics(options: {
  port: number;
  host: string;
  text: () => Promise<{ contentType: string; body: string }>;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Only GET /metrics is served on this port.\n");
      return;
    }
    options.text().then(
      ({ contentType, body }) => response.writeHead(200, { "content-type": contentType }).end(request.method === "HEAD" ? undefined : body),
      () => response.writeHead(503, { "content-type": "text/plain" }).end("Metrics could not be collected.\n"),
    );
  });
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => {
      throw error;
    }),
  ]);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
