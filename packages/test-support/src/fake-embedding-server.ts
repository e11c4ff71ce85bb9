import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake server received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The client's port: the same port on two requests means the connection was kept alive. */
  clientPort: number | undefined;
  body: { input?: unknown; model?: unknown; dimensions?: unknown; encoding_format?: unknown; [key: string]: unknown };
  /** The body as sent: what a signature covers, and what a form-encoded token request carries. */
  rawBody: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** What to answer: a reply, `"hang"` (never answer), or `"reset"` (drop the connection). */
export type FakeAction = FakeReply | "hang" | "reset";

/**
 * An OpenAI/Azure-compatible `/embeddings` server on 127.0.0.1, answering with the documented shapes:
 * `{object: "list", data: [{object: "embedding", embedding, index}], model, usage: {prompt_tokens, total_tokens}}`
 * and `{error: {message, type, param, code}}`. Replies are scripted per request; unscripted requests get a
 * success whose `data` is listed in reverse order (the API allows any order; `index` is what counts).
 */
export class FakeEmbeddingServer {
  readonly requests: RecordedRequest[] = [];
  readonly #script: FakeAction[] = [];
  /** Answers unscripted requests in a provider's own documented shape; unset: OpenAI's. */
  responder: ((request: RecordedRequest) => FakeAction) | undefined;
  readonly #server: Server;
  #baseUrl = "";

  /**
   * @param vectorSize length of the default vectors
   * @param vectorFunction the vector for a text, when a test needs chosen vectors (default: derived from its length)
   */
  constructor(
    readonly vectorSize = 3,
    private readonly vectorFunction?: (text: string) => number[],
  ) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const isJson = raw !== "" && !String(request.headers["content-type"] ?? "").includes("x-www-form-urlencoded");
        const body = isJson ? (JSON.parse(raw) as RecordedRequest["body"]) : {};
        const recorded: RecordedRequest = {
          method: request.method ?? "",
          url: request.url ?? "",
          headers: request.headers,
          clientPort: request.socket.remotePort,
          body,
          rawBody: raw,
        };
        this.requests.push(recorded);
        const action = this.#script.shift() ?? this.responder?.(recorded) ?? this.success(body);
        if (action === "hang") return;
        if (action === "reset") {
          request.socket.destroy();
          return;
        }
        send(response, action);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** Queue answers for the next requests, in order. */
  reply(...actions: FakeAction[]): void {
    this.#script.push(...actions);
  }

  /** Every text embedded so far, in arrival order. */
  get inputs(): string[] {
    return this.requests.flatMap((request) =>
      Array.isArray(request.body.input) ? (request.body.input as string[]) : request.body.input === undefined ? [] : [String(request.body.input)],
    );
  }

  /** The OpenAI-style base URL (`…/v1`) to configure as `api_base`. */
  get apiBase(): string {
    return `${this.#baseUrl}/v1`;
  }

  /** The vector the server gives a text: derived from the text, so tests can check which vector went where. */
  vectorFor(text: string): number[] {
    if (this.vectorFunction) return this.vectorFunction(text);
    return Array.from({ length: this.vectorSize }, (_, position) => text.length + position / 10);
  }

  success(body: RecordedRequest["body"]): FakeReply {
    const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
    const data = inputs.map((text, index) => ({ object: "embedding", embedding: this.vectorFor(text), index })).reverse();
    const tokens = inputs.reduce((sum, text) => sum + text.split(" ").length, 0);
    return { status: 200, body: { object: "list", data, model: body.model ?? "deployment-model", usage: { prompt_tokens: tokens, total_tokens: tokens } } };
  }

  static error(status: number, message: string, code: string | null = null, headers: Record<string, string> = {}): FakeReply {
    return { status, headers, body: { error: { message, type: "invalid_request_error", param: null, code } } };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function send(response: ServerResponse, reply: FakeReply): void {
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  response.end(text);
}
