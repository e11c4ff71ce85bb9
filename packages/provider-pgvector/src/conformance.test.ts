import { describeProviderConformance } from "@vs/provider-conformance";
import { createPgvectorProvider } from "./pgvector-provider.js";
import { startPgvectorTestServer } from "./testing/pglite-server.js";

// Real pgvector (PGlite's bundled extension) over the PostgreSQL wire protocol on loopback.
describeProviderConformance("pgvector on PGlite", async () => {
  const server = await startPgvectorTestServer();
  return {
    provider: createPgvectorProvider({ env: {} }),
    templateOptions: { api_base: server.url },
    storeName: (label) => `${label}_${process.pid}`,
    close: () => server.close(),
  };
});
