import { createServer } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startMilvusRestServer, type MilvusRestServer } from "@vs/provider-milvus/testing";
import { parseConfigText } from "./config-file.js";
import { startProxy } from "./server.js";

const TOKEN = "root:milvus-secret";

/** A port nothing listens on (yet): taken from the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Readiness {
  status: string;
  checks: Array<{ name: string; ok: boolean; error: string | null }>;
}

async function readiness(url: string): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${url}/health/readiness`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

describe("readiness per vector store", () => {
  it("answers 503 naming a store whose Milvus is down at start, then 200 once it comes up on that address; probes are cached", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "vs-readiness-"));
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(line) });
    const config = parseConfigText(
      [
        "vector_store_registry:",
        "  - vector_store_name: kb",
        "    litellm_params: { vector_store_id: books, api_base: 'http://127.0.0.1:" + port + "', api_key: '" + TOKEN + "' }",
        "  - vector_store_name: kb-again",
        "    litellm_params: { vector_store_id: books, api_base: 'http://127.0.0.1:" + port + "', api_key: '" + TOKEN + "', milvus_text_field: title }",
        "general_settings: { master_key: sk-readiness-test-key-0001 }",
      ].join("\n"),
      "test",
    );
    const cacheMs = 400;
    const proxy = await startProxy({ config, port: 0, host: "127.0.0.1", dataDir, logger, log: () => undefined, readinessCacheMs: cacheMs });
    let milvus: MilvusRestServer | undefined;
    try {
      const started = warnings.map((line) => JSON.parse(line) as { msg: string; vector_store?: string });
      expect(started.map((line) => line.vector_store)).toEqual(["kb", "kb-again"]);
      expect(warnings.join("")).not.toContain("milvus-secret");

      const down = await readiness(proxy.url);
      expect(down.status).toBe(503);
      expect(down.body.status).toBe("unhealthy");
      expect(down.body.checks.map((check) => [check.name, check.ok])).toEqual([
        ["database", true],
        ["vector_store:kb", false],
        ["vector_store:kb-again", false],
      ]);
      expect(down.body.checks[1]!.error).toContain(`127.0.0.1:${port}`);
      expect(JSON.stringify(down.body)).not.toContain("milvus-secret");
      expect((await fetch(`${proxy.url}/health/liveliness`)).status).toBe(200);

      milvus = await startMilvusRestServer({ port, token: TOKEN });
      await new Promise((resolve) => setTimeout(resolve, cacheMs + 50));
      const up = await readiness(proxy.url);
      expect(up.status).toBe(200);
      expect(up.body).toEqual({
        status: "healthy",
        checks: [
          { name: "database", ok: true, error: null },
          { name: "vector_store:kb", ok: true, error: null },
          { name: "vector_store:kb-again", ok: true, error: null },
        ],
      });

      // Within the cache window, polls do not reach Milvus; the two stores on one Milvus share a probe.
      for (let poll = 0; poll < 5; poll++) expect((await readiness(proxy.url)).status).toBe(200);
      expect(milvus.requestsTo("collections/list")).toHaveLength(1);
      expect(milvus.requestsTo("collections/list")[0]!.headers["authorization"]).toBe(`Bearer ${TOKEN}`);

      // And it goes back to 503 when Milvus answers with an error (a rejected token, say).
      await new Promise((resolve) => setTimeout(resolve, cacheMs + 50));
      milvus.failNext({ code: 1800, message: "user hasn't authenticated", endpoint: "collections/list" });
      const refused = await readiness(proxy.url);
      expect(refused.status).toBe(503);
      expect(refused.body.checks[1]!.error).toBe(`Milvus at http://127.0.0.1:${port} answered code 1800: user hasn't authenticated`);
    } finally {
      await proxy.close();
      await milvus?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
