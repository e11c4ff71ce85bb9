import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { startProxy, type ProxyOptions, type RunningProxy } from "../server.js";
import { parseConfigText } from "../config-file.js";

export const MASTER_KEY = "sk-test-master-key-0001";

export interface TestProxy extends RunningProxy {
  dataDir: string;
  /** fetch against the proxy with the master key (or `key`) as Bearer. */
  call(
    path: string,
    init?: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** Starts the real proxy on 127.0.0.1 with a YAML config, a temp data dir and a silent logger. */
export async function startTestProxy(
  yaml: string,
  options: { env?: Record<string, string | undefined>; extra?: Partial<ProxyOptions> } = {},
): Promise<TestProxy> {
  const dataDir = await mkdtemp(join(tmpdir(), "vs-proxy-test-"));
  const env = { ...process.env, ...options.env };
  const config = parseConfigText(yaml, "test config", env);
  const proxy = await startProxy({ config, port: 0, host: "127.0.0.1", dataDir, env, logger: pino({ level: "silent" }), ...options.extra });
  return {
    ...proxy,
    dataDir,
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? MASTER_KEY : init.key;
      if (key !== null) headers["authorization"] = `Bearer ${key}`;
      if (init.body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(proxy.url + path, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers,
        body: init.body === undefined ? null : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: keep text */
      }
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
