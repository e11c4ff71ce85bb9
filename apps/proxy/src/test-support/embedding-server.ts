import { createServer } from "node:http";

/**
 * An OpenAI-compatible `POST /v1/embeddings` server on 127.0.0.1 (the documented response shape), answering each
 * input with `vectorFor(text)` and recording every text it embedded.
 */
export async function startEmbeddingServer(vectorFor: (text: string) => number[]): Promise<{ apiBase: string; inputs: string[]; close(): Promise<void> }> {
  const inputs: string[] = [];
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      const input = (JSON.parse(text) as { input: string[] }).input;
      inputs.push(...input);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ object: "list", model: "test-embedding", data: input.map((item, index) => ({ object: "embedding", index, embedding: vectorFor(item) })), usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 } }));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    inputs,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
