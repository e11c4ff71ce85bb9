import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BENCH_DIMENSIONS, BENCH_EMBEDDING_MODEL, benchSearchRows, benchVector } from "./bench-data.js";

/**
 * The upstream pair the gateway is measured against, built to cost as little as possible so that what is measured
 * is the gateway: a Milvus REST v2 `entities/search` that answers a fixed 10-row result (`{code: 0, cost, data,
 * topks}`) without parsing the request, and an OpenAI-compatible `POST /v1/embeddings` answering a fixed vector
 * (512-d unless told otherwise) with `usage` — as JSON floats, or as base64 float32 bytes when the request asks for
 * `encoding_format: "base64"`, as OpenAI does. Answers are serialised once, at start.
 *
 * `startMilvusRestServer({fixedSearchAnswer})` from `@vs/provider-milvus/testing` would also do, but it parses every
 * body (a 512-float JSON array) and copies the headers: that is upstream cost, which this server leaves out.
 */
export interface BenchUpstreams {
  milvusUrl: string;
  /** `http://127.0.0.1:PORT/v1`: the `api_base` of an OpenAI-compatible model. */
  embeddingsUrl: string;
  close(): Promise<void>;
}

const SEARCH_PATH = "/v2/vectordb/entities/search";
const EMBEDDINGS_PATH = "/v1/embeddings";

export async function startBenchUpstreams(options: { dimensions?: number } = {}): Promise<BenchUpstreams> {
  const rows = benchSearchRows();
  const searchAnswer = Buffer.from(JSON.stringify({ code: 0, cost: 0, data: rows, topks: [rows.length] }));
  const notSearch = Buffer.from(JSON.stringify({ code: 1100, message: "this benchmark upstream answers entities/search only" }));
  const vector = benchVector(options.dimensions ?? BENCH_DIMENSIONS);
  const vectorJson = JSON.stringify(vector);
  const vectorBase64 = JSON.stringify(Buffer.from(new Float32Array(vector).buffer).toString("base64"));

  const milvus = createServer((request, response) => {
    drain(request, () => {
      if (request.method === "POST" && request.url === SEARCH_PATH) send(response, 200, searchAnswer);
      else send(response, 200, notSearch);
    });
  });

  const embeddings = createServer((request, response) => {
    if (request.method !== "POST" || request.url !== EMBEDDINGS_PATH) {
      drain(request, () =>
        send(response, 404, Buffer.from(JSON.stringify({ error: { message: `No route ${request.method} ${request.url}`, code: "not_found" } }))),
      );
      return;
    }
    readText(request, (text) => {
      let inputs: string[];
      let base64 = false;
      try {
        const body = JSON.parse(text) as { input?: unknown; encoding_format?: unknown };
        const input = body.input;
        inputs = typeof input === "string" ? [input] : Array.isArray(input) ? input.map(String) : [];
        base64 = body.encoding_format === "base64";
      } catch {
        inputs = [];
      }
      if (inputs.length === 0) {
        send(response, 400, Buffer.from(JSON.stringify({ error: { message: "input: required", code: "invalid_request" } })));
        return;
      }
      // Roughly OpenAI's count (4 characters a token), so cost tracking sees plausible numbers.
      const tokens = inputs.reduce((sum, input) => sum + Math.max(1, Math.ceil(input.length / 4)), 0);
      const data = inputs.map((_, index) => `{"object":"embedding","index":${index},"embedding":${base64 ? vectorBase64 : vectorJson}}`).join(",");
      send(
        response,
        200,
        Buffer.from(`{"object":"list","data":[${data}],"model":"${BENCH_EMBEDDING_MODEL}","usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`),
      );
    });
  });

  const [milvusPort, embeddingsPort] = await Promise.all([listen(milvus), listen(embeddings)]);
  return {
    milvusUrl: `http://127.0.0.1:${milvusPort}`,
    embeddingsUrl: `http://127.0.0.1:${embeddingsPort}/v1`,
    async close() {
      await Promise.all([close(milvus), close(embeddings)]);
    },
  };
}

function drain(request: IncomingMessage, then: () => void): void {
  request.on("end", then);
  request.resume();
}

function readText(request: IncomingMessage, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => then(Buffer.concat(chunks).toString("utf8")));
}

function send(response: ServerResponse, status: number, body: Buffer): void {
  response.writeHead(status, { "content-type": "application/json", "content-length": body.byteLength }).end(body);
}

async function listen(server: Server): Promise<number> {
  // Load generators keep connections for the whole run; Node's 5 s default would close idle ones between phases.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
