import { describe } from "vitest";

/**
 * The services `scripts/test.mjs` starts, by the variable that carries each address. Without one, a suite that needs
 * it is skipped with the reason, except in CI (`CI=true`), where its absence is a failure: integration tests never
 * vanish silently there.
 */
export const SERVICE_VARIABLES = {
  milvusLite: "VS_TEST_MILVUS_ADDRESS",
  postgres: "VS_TEST_DATABASE_URL",
  redis: "VS_TEST_REDIS_URL",
} as const;
export type TestService = keyof typeof SERVICE_VARIABLES;

const HOW_TO_START: Record<TestService, string> = {
  milvusLite: "Milvus Lite (pnpm test starts it when python3 is present)",
  postgres: "PostgreSQL (pnpm test starts a private cluster when the server binaries are installed)",
  redis: "Redis (pnpm test starts one when redis-server is installed)",
};

export function isCI(): boolean {
  return process.env["CI"] === "true";
}

/** The service's address from the environment; `undefined` locally when absent; throws in CI when absent. */
export function serviceAddress(service: TestService): string | undefined {
  const variable = SERVICE_VARIABLES[service];
  const value = process.env[variable];
  if ((value === undefined || value === "") && isCI()) throw new Error(`${variable} is not set in CI: scripts/test.mjs must start ${HOW_TO_START[service]}`);
  return value === "" ? undefined : value;
}

/** `describe` when the service is there, a named skip (with the reason) when it is not, a failure in CI. */
export function describeWithService(service: TestService, name: string, body: (address: string) => void): void {
  const address = serviceAddress(service);
  if (!address) {
    describe.skip(`${name} (skipped: no ${HOW_TO_START[service]} — run the tests with \`pnpm test\`)`, () => undefined);
    return;
  }
  describe(name, () => body(address));
}
