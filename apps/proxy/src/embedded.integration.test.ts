import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { DEMO_QUERY, DEMO_STORE_NAME } from "./embedded.js";
import { startProxy } from "./server.js";
import { describeWithService } from "@vs/test-support/vitest";

// `pnpm start` with nothing configured: the proxy starts Milvus Lite itself, loads the demo corpus with the local
// model, and the query it prints finds the passage that answers it. A second start reuses the data.

describeWithService("milvusLite", "embedded defaults", () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the demo collection and its printed query finds the right passage; a restart reuses the data", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vs-embedded-"));
    const env = { ...process.env, VS_MASTER_KEY: undefined, DATABASE_URL: undefined, MILVUS_API_BASE: undefined };
    const logged: string[] = [];
    const start = () => startProxy({ port: 0, host: "127.0.0.1", dataDir, env, logger: pino({ level: "silent" }), log: (line) => logged.push(line) });

    const first = await start();
    const masterKey = first.masterKey.generated!;
    try {
      expect(first.demo).toEqual({ store: DEMO_STORE_NAME, query: DEMO_QUERY });
      expect(first.masterKey.generated).toMatch(/^sk-/);
      expect(logged.some((line) => line.includes("Loading the demo collection"))).toBe(true);
      const response = await fetch(`${first.url}/v1/vector_stores/${DEMO_STORE_NAME}/search`, {
        method: "POST",
        headers: { authorization: `Bearer ${first.masterKey.generated}`, "content-type": "application/json" },
        body: JSON.stringify({ query: DEMO_QUERY, max_num_results: 3 }),
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        data: Array<{ score: number; content: Array<{ text: string }>; attributes: { title: string; topic: string } }>;
      };
      expect(page.data).toHaveLength(3);
      expect(page.data[0]!.attributes.topic).toMatch(/keys|indexes|passthrough/);
      expect(page.data[0]!.content[0]!.text.toLowerCase()).toMatch(/key/);
      expect(page.data[0]!.score).toBeGreaterThan(0.5);
    } finally {
      await first.close();
    }

    logged.length = 0;
    const second = await start();
    try {
      expect(second.masterKey.generated).toBeUndefined();
      expect(second.masterKey.source).toBe("data_dir");
      expect(logged.some((line) => line.includes("Loading the demo collection"))).toBe(false);
      const ready = await fetch(`${second.url}/health/readiness`);
      expect(ready.status).toBe(200);
      // The write path on the embedded defaults: a store on Milvus Lite, the file in PGlite, the local model.
      const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: masterKey, maxRetries: 0 });
      const store = await client.vectorStores.create({ name: "notes" });
      const file = await client.vectorStores.files.uploadAndPoll(
        store.id,
        await toFile(Buffer.from("The cafeteria serves lentil soup every Thursday."), "menu.txt"),
        { pollIntervalMs: 200 },
      );
      expect(file.status).toBe("completed");
      const hits = await client.vectorStores.search(store.id, { query: "What soup is served on Thursday?" });
      expect(hits.data[0]).toMatchObject({ file_id: file.id, filename: "menu.txt" });
      await client.vectorStores.delete(store.id);
    } finally {
      await second.close();
    }
  }, 240_000);
});
