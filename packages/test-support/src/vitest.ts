// Helpers that import vitest: a separate entry, so the service starters load without it (scripts/test.mjs, the bench).
export { describeWithService, isCI, serviceAddress, SERVICE_VARIABLES, type TestService } from "./services/environment.js";
