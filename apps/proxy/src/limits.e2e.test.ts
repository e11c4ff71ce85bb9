import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithService, serviceAddress } from "@vs/test-support/vitest";
import { startTestProxy, type TestProxy } from "./test-support/harness.js";
import { INPUT_COST_PER_TOKEN, startSearchBackends, type SearchBackends } from "./test-support/search-backends.js";

// Two proxies on one PostgreSQL (and, second, with Redis holding the rate limits) enforce one key's limits together.

const TOKENS_PER_CALL = 5;
const COST_PER_MISS = TOKENS_PER_CALL * INPUT_COST_PER_TOKEN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fixed one-minute windows: start a count early enough in a minute that it cannot roll over mid-test. */
async function awayFromMinuteEnd(): Promise<void> {
  const second = new Date().getUTCSeconds();
  if (second >= 45) await sleep((61 - second) * 1000);
}

function limitSuite(name: string, redisUrl: () => string | undefined) {
  describeWithService("postgres", name, (databaseUrl) => {
    let backends: SearchBackends;
    let first: TestProxy;
    let second: TestProxy;
    const unique = () => `question ${randomBytes(6).toString("hex")}`;

    beforeAll(async () => {
      backends = await startSearchBackends({ tokensPerCall: TOKENS_PER_CALL });
      const schema = `limits_${randomBytes(4).toString("hex")}`;
      const url = `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}schema=${schema}`;
      const redis = redisUrl();
      const settings = `  database_url: "${url}"\n` + (redis ? `  cache: { type: redis, url: "${redis}", key_prefix: "vs-limits-${schema}:" }\n` : "");
      first = await startTestProxy(backends.yaml(settings));
      second = await startTestProxy(backends.yaml(settings));
    }, 60_000);

    afterAll(async () => {
      await first?.stop();
      await second?.stop();
      await backends?.close();
    });

    const grant = [{ index_name: "docs", index_permissions: ["read"] }];
    const newKey = async (limits: Record<string, unknown>) => {
      const generated = await first.call("/key/generate", {
        body: { key_alias: `k-${randomBytes(4).toString("hex")}`, allowed_vector_store_indexes: grant, ...limits },
      });
      expect(generated.status).toBe(200);
      return generated.body.key as string;
    };
    const search = (proxy: TestProxy, key: string, query = unique()) => proxy.call("/v1/vector_stores/docs/search", { body: { query }, key });

    it("rpm_limit holds across both processes, with 429, retry-after and the remaining-requests header", async () => {
      await awayFromMinuteEnd();
      const key = await newKey({ rpm_limit: 3 });
      const answers = [await search(first, key), await search(second, key), await search(first, key)];
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(answers.map((answer) => answer.headers.get("x-ratelimit-remaining-requests"))).toEqual(["2", "1", "0"]);
      const refused = await search(second, key);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded", param: "rpm_limit" });
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");

      // /key/update through one process reaches the other within the key cache's TTL (2 s).
      expect((await first.call("/key/update", { body: { key, rpm_limit: 10 } })).status).toBe(200);
      expect((await search(first, key)).status).toBe(200);
      await sleep(2_100);
      const after = await search(second, key);
      expect(after.status).toBe(200);
      expect(after.headers.get("x-ratelimit-remaining-requests")).toBe("5");
      const info = await second.call("/key/info", { key });
      expect(info.body.info).toMatchObject({ rpm_limit: 10, tpm_limit: null, max_parallel_requests: null });
    });

    it("tpm_limit counts embedding tokens after the fact and refuses the next request", async () => {
      await awayFromMinuteEnd();
      const key = await newKey({ tpm_limit: 8 });
      const firstAnswer = await search(first, key);
      expect(firstAnswer.status).toBe(200);
      expect(firstAnswer.headers.get("x-ratelimit-remaining-tokens")).toBe("8");
      await sleep(200);
      const secondAnswer = await search(second, key);
      expect(secondAnswer.status).toBe(200);
      expect(secondAnswer.headers.get("x-ratelimit-remaining-tokens")).toBe("3");
      await sleep(200);
      const refused = await search(first, key);
      expect(refused.status).toBe(429);
      expect(refused.body.error.param).toBe("tpm_limit");
      expect(refused.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
    });

    it("max_parallel_requests counts requests in flight in every process", async () => {
      const key = await newKey({ max_parallel_requests: 1 });
      backends.embeddingDelayMs = 1_000;
      try {
        const slow = search(first, key);
        await sleep(300);
        const refused = await search(second, key);
        expect(refused.status).toBe(429);
        expect(refused.body.error.param).toBe("max_parallel_requests");
        expect((await slow).status).toBe(200);
        await sleep(200); // the slot is released just after the answer
        backends.embeddingDelayMs = 0;
        expect((await search(second, key)).status).toBe(200);
      } finally {
        backends.embeddingDelayMs = 0;
      }
    });

    it("max_budget refuses with LiteLLM's budget error once spent, in both processes, until the window resets", async () => {
      const key = await newKey({ max_budget: 2 * COST_PER_MISS, soft_budget: COST_PER_MISS, budget_duration: "8s" });
      // Start at the beginning of a window, so the spend below cannot straddle two.
      const reset = Date.parse((await first.call("/key/info", { key })).body.info.budget_reset_at);
      if (reset - Date.now() < 6_000) await sleep(reset - Date.now() + 50);
      expect((await search(first, key)).status).toBe(200);
      expect((await search(second, key)).status).toBe(200);
      // Spend rows are written within a second; the budget counts what they record.
      let info = (await second.call("/key/info", { key })).body.info;
      for (let attempt = 0; attempt < 40 && info.spend < 2 * COST_PER_MISS - 1e-12; attempt++) {
        await sleep(100);
        info = (await second.call("/key/info", { key })).body.info;
      }
      expect(info.spend).toBeCloseTo(2 * COST_PER_MISS, 12);
      expect(info).toMatchObject({ max_budget: 2 * COST_PER_MISS, soft_budget: COST_PER_MISS, budget_duration: "8s" });
      for (const proxy of [first, second]) {
        const refused = await search(proxy, key);
        expect(refused.status).toBe(400);
        expect(refused.body.error).toEqual({
          message: `Budget has been exceeded! Current cost: ${info.spend}, Max budget: ${2 * COST_PER_MISS}`,
          type: "budget_exceeded",
          param: null,
          code: "400",
        });
      }
      const windowEnd = Date.parse(info.budget_reset_at);
      await sleep(Math.max(0, windowEnd - Date.now()) + 100);
      expect((await search(second, key)).status).toBe(200);
      const next = (await first.call("/key/info", { key })).body.info;
      expect(Date.parse(next.budget_window_start)).toBe(windowEnd);
    }, 30_000);

    it("/key/generate refuses a malformed limit, naming the field", async () => {
      const refused = await first.call("/key/generate", { body: { rpm_limit: -1 } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.param).toBe("rpm_limit");
      expect((await first.call("/key/generate", { body: { budget_duration: "soon" } })).body.error.param).toBe("budget_duration");
    });
  });
}

limitSuite("key limits on one PostgreSQL", () => undefined);
if (serviceAddress("redis") !== undefined || process.env["CI"] === "true") limitSuite("key limits with Redis", () => serviceAddress("redis"));
