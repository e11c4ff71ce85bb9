import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

/**
 * Child-process entry of the calibration row: the least an HTTP hop in Node can cost. A `node:http` server that reads
 * the body and forwards it to Milvus through an undici keep-alive pool, answer passed back as bytes — no parsing,
 * no auth, no logging, no validation. The gateway's passthrough does the same hop plus its own logic; the difference
 * between the two is what the gateway's logic costs, the rest is Node's price for any proxy.
 */
const target = process.argv[2];
if (!target) {
  process.stderr.write("usage: forwarder-child.js <milvus url>\n");
  process.exit(2);
}
const pool = new Pool(target, { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const path = (request.url ?? "/").replace(/^\/milvus/, "");
    pool
      .request({ path, method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) })
      .then(async (upstream) => {
        const body = Buffer.from(await upstream.body.arrayBuffer());
        response.writeHead(upstream.statusCode, { "content-type": "application/json", "content-length": body.byteLength }).end(body);
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
        response.end(`forwarding failed: ${(error as Error).message}`);
      });
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "ready", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  pool.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
process.once("disconnect", stop);
