import { describe, expect, it } from "vitest";
import { AbortedError, ServiceUnavailableError } from "@vs/core";
import { createEmbeddingModel, LOCAL_EMBEDDING_MODEL } from "./index.js";
import { LocalModelHost } from "./local-model-host.js";

// Long enough that one batch of them is still running when the test acts on the next call.
const longTexts = Array.from({ length: 32 }, (_, position) => `note ${position}: ${"a slow sentence about the weather and the sea ".repeat(6)}`);

describe("the local model's worker", () => {
  it("answers queued batches in order, each with its own rows as a transferred Float32Array", async () => {
    const host = new LocalModelHost();
    try {
      const [one, two, three] = await Promise.all([host.run(["a"]), host.run(["b", "c"]), host.run(["d", "e", "f"])]);
      expect([one.rows, two.rows, three.rows]).toEqual([1, 2, 3]);
      expect(three.data).toBeInstanceOf(Float32Array);
      expect(three.data.length).toBe(3 * 512);
      expect(three.tokens).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });

  it("takes an aborted call out of the queue at once, while the batch before it runs on", async () => {
    const host = new LocalModelHost();
    try {
      let runningSettled = false;
      const running = host.run(longTexts).finally(() => {
        runningSettled = true;
      });
      const controller = new AbortController();
      const queued = host.run(["queued"], controller.signal);
      controller.abort();
      await expect(queued).rejects.toBeInstanceOf(AbortedError);
      expect(runningSettled).toBe(false);
      expect((await running).rows).toBe(32);
    } finally {
      await host.close();
    }
  });

  it("fails waiting calls with 503 when closed, and refuses new ones", async () => {
    const host = new LocalModelHost();
    const running = host.run(longTexts);
    const queued = host.run(["queued"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const outcomes = Promise.allSettled([running, queued]);
    await host.close();
    const [runningOutcome, queuedOutcome] = await outcomes;
    expect(runningOutcome.status === "rejected" && runningOutcome.reason).toBeInstanceOf(ServiceUnavailableError);
    expect(queuedOutcome.status === "rejected" && queuedOutcome.reason).toBeInstanceOf(ServiceUnavailableError);
    await expect(host.run(["later"])).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it("reports a worker that cannot load as 503 embedding_model_unavailable to every waiting call, and tries again on the next", async () => {
    const host = new LocalModelHost({ workerUrl: new URL("./no-such-worker.js", import.meta.url) });
    try {
      const outcomes = await Promise.allSettled([host.run(["a"]), host.run(["b"])]);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        const reason = outcome.status === "rejected" ? outcome.reason : undefined;
        expect(reason).toBeInstanceOf(ServiceUnavailableError);
        expect((reason as ServiceUnavailableError).code).toBe("embedding_model_unavailable");
        expect((reason as ServiceUnavailableError).message).toMatch(/could not be loaded.*no-such-worker/);
      }
      await expect(host.run(["c"])).rejects.toThrow(/could not be loaded/);
    } finally {
      await host.close();
    }
  });

  it("is shared by model instances and ended by the last one closed; a later embed starts it again", async () => {
    const first = createEmbeddingModel(LOCAL_EMBEDDING_MODEL);
    const second = createEmbeddingModel("local/default");
    const [a, b] = await Promise.all([first.embed(["a cat sits on the mat"]), second.embed(["a cat sits on the mat"])]);
    expect(a.vectors[0]).toEqual(b.vectors[0]);
    await first.close?.();
    expect((await second.embed(["still here"])).vectors[0]).toHaveLength(512);
    await second.close?.();
    const again = await first.embed(["a cat sits on the mat"]);
    expect(again.vectors[0]).toEqual(a.vectors[0]);
    await first.close?.();
  });
});
