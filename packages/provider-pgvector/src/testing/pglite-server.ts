import { createRequire } from "node:module";
import { createServer } from "node:net";
import { Worker } from "node:worker_threads";

/**
 * Real pgvector for tests where the machine's PostgreSQL has none: PGlite (PostgreSQL in Wasm) with its bundled
 * pgvector extension (0.8.1 in PGlite 0.4.6), served over the PostgreSQL wire protocol on loopback, so the provider's
 * own `pg` Pool talks to it over TCP exactly as it would to a server.
 *
 * Two things are done here rather than with `@electric-sql/pglite-socket`'s server:
 * - PGlite runs in a worker thread: its Wasm executes synchronously, and in the test's own thread a slow statement
 *   would freeze the very timers a timeout test is about.
 * - Extended-protocol messages (Parse/Bind/Describe/Execute/Close) are handed to PGlite together with their Sync, one
 *   batch per call, as a server reads them. Fed one message per call (what pglite-socket 0.1 does), a failing Parse
 *   is answered with an early ReadyForQuery and `pg` then sees "unexpected commandComplete" and drops the connection.
 *   While one connection is inside a transaction, only its batches run (PGlite has a single backend).
 *
 * What still differs from a server: session settings are shared by every connection, any user and password are
 * accepted, and `statement_timeout` is not enforced (no timer signals in the Wasm build), so only the gateway's own
 * client-side timeout fires.
 */
export interface PgvectorTestServer {
  /** `postgresql://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  close(): Promise<void>;
}

// CommonJS inside the worker: an eval'd worker cannot resolve the packages itself, so it gets their absolute paths.
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43]); // P B D E C: kept until the Sync that ends them
// After an error PGlite can answer ReadyForQuery twice for one Sync; a client then takes the spare one as the end of
// its next statement. A server answers exactly one per Sync or Query: keep the last ones, drop the spare.
function withReadyForQueryCount(output, expected) {
  const messages = [];
  for (let offset = 0; offset + 5 <= output.length; ) {
    const end = offset + 1 + output.readInt32BE(offset + 1);
    messages.push(output.subarray(offset, end));
    offset = end;
  }
  let spare = messages.filter((message) => message[0] === 0x5a).length - expected;
  return Buffer.concat(messages.filter((message) => !(message[0] === 0x5a && spare-- > 0)));
}
(async () => {
  const { PGlite } = require(workerData.pglite);
  const { vector } = require(workerData.vector);
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
  const queue = [];
  let owner = null;
  let running = false;
  const pump = async () => {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        const index = owner === null ? 0 : queue.findIndex((item) => item.socket === owner);
        if (index === -1) break;
        const [item] = queue.splice(index, 1);
        try {
          if (item.rollback) await db.exec("ROLLBACK");
          else {
            const chunks = [];
            await db.execProtocolRawStream(item.bytes, { onRawData: (data) => chunks.push(Buffer.from(data)) });
            if (!item.socket.destroyed) item.socket.write(withReadyForQueryCount(Buffer.concat(chunks), item.expectedReady));
          }
        } catch (error) {
          item.socket.destroy();
        }
        owner = db.isInTransaction() && !item.rollback ? item.socket : null;
      }
    } finally {
      running = false;
    }
  };
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let started = false;
    let batch = [];
    const submit = (bytes, expectedReady) => { queue.push({ socket, bytes: new Uint8Array(bytes), expectedReady }); void pump(); };
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      for (let index = queue.length - 1; index >= 0; index--) if (queue[index].socket === socket) queue.splice(index, 1);
      if (owner === socket) { queue.unshift({ socket, rollback: true }); void pump(); }
    });
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          const message = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          if (code === 80877103 || code === 80877104) { socket.write("N"); continue; } // no TLS, no GSSAPI
          started = true;
          submit(message, 1);
          continue;
        }
        if (buffer.length < 5) return;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) return;
        const type = buffer[0];
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (type === 0x58) { socket.end(); return; } // Terminate
        batch.push(message);
        if (!EXTENDED.has(type)) {
          submit(Buffer.concat(batch), type === 0x53 || type === 0x51 ? 1 : 0);
          batch = [];
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  parentPort.on("message", async (message) => {
    if (message !== "stop") return;
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    parentPort.postMessage({ stopped: true });
  });
  parentPort.postMessage({ address: "127.0.0.1:" + server.address().port });
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

export async function startPgvectorTestServer(): Promise<PgvectorTestServer> {
  const require = createRequire(import.meta.url);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { pglite: require.resolve("@electric-sql/pglite"), vector: require.resolve("@electric-sql/pglite/vector") },
  });
  const address = await new Promise<string>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the PGlite worker exited with code ${code} before listening`)));
    worker.once("message", (message: { address?: string; error?: string }) =>
      message.address !== undefined ? resolve(message.address) : reject(new Error(message.error)),
    );
  });
  worker.removeAllListeners("exit");
  worker.removeAllListeners("error");
  worker.on("error", () => undefined);
  return {
    url: `postgresql://postgres@${address}/postgres`,
    async close() {
      const stopped = new Promise<void>((resolve) => {
        worker.once("message", () => resolve());
        worker.once("exit", () => resolve());
      });
      worker.postMessage("stop");
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await worker.terminate();
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
