import { describeProviderConformance } from "@vs/provider-conformance";
import { describeWithService } from "@vs/test-support/vitest";
import { createMilvusProvider } from "./milvus-provider.js";
import { startMilvusRestServer } from "./testing/milvus-rest-server.js";

const run = `${process.pid}_${Date.now().toString(36)}`;

// REST v2 transport against the package's REST v2 test server (the contract suite checks that server against Milvus Lite).
describeProviderConformance("milvus over REST v2 (test server)", async () => {
  const server = await startMilvusRestServer();
  return {
    provider: createMilvusProvider({ env: {} }),
    templateOptions: { api_base: server.url },
    storeName: (label) => `${label}_${run}`,
    close: () => server.close(),
  };
});

// gRPC transport against a real engine.
describeWithService("milvusLite", "milvus over gRPC", (address) => {
  describeProviderConformance("milvus over gRPC (Milvus Lite)", async () => ({
    provider: createMilvusProvider({ env: {} }),
    templateOptions: { api_base: `grpc://${address.replace(/^(?:grpcs?|https?):\/\//i, "")}` },
    storeName: (label) => `${label}_${run}`,
  }));
});
