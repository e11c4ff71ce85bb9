import { createHash } from "node:crypto";
import {
  raceAbort,
  UpstreamError,
  type CallOptions,
  type ProviderSearchRequest,
  type ProviderSearchResult,
  type ProviderStoreTarget,
  type VectorStoreProvider,
  type VectorStoreWriter,
} from "@vs/core";
import { milvusCallerOptionsSchema, mergeMilvusOptions, type MilvusCallerOptions } from "./milvus-caller-options.js";
import {
  milvusOptionsSchema,
  resolveMilvusConnection,
  type Environment,
  type MilvusConnection,
  type MilvusGrpcConnection,
  type MilvusOptions,
} from "./milvus-options.js";
import { CollectionFactsCache, searchMilvus } from "./milvus-search.js";
import { isMilvusSuccess, type MilvusCallOptions, type MilvusResponse, type MilvusTransport } from "./milvus-transport.js";
import { createMilvusWriter } from "./milvus-writer.js";
import { createRestTransport } from "./rest-transport.js";

/** A readiness probe that takes longer counts as "not answering": readiness must answer faster than a search may. */
const HEALTH_TIMEOUT_MS = 2_000;

export interface MilvusProviderSettings {
  /** Where `MILVUS_API_BASE` / `MILVUS_API_KEY` are read; default `process.env`. */
  env?: Environment;
  /** Builds the transport for a connection; default: REST v2 over undici, or gRPC through `@zilliz/milvus2-sdk-node`. */
  createTransport?: (connection: MilvusConnection) => MilvusTransport;
}

/** A transport for one store's options, shared by every search and passthrough call to the same Milvus. */
export interface MilvusTransportHandle {
  transport: MilvusTransport;
  /** The options' `dbName`, to put in bodies sent through this transport. */
  dbName: string | undefined;
  /** `scheme://host:port`, safe to show (no credentials). */
  displayAddress: string;
}

export interface MilvusProvider extends VectorStoreProvider<MilvusOptions, MilvusCallerOptions> {
  readonly id: "milvus";
  readonly storeOptionsSchema: typeof milvusOptionsSchema;
  readonly callerOptionsSchema: typeof milvusCallerOptionsSchema;
  readonly writer: VectorStoreWriter<MilvusOptions>;
  /** The transport for these options, created once per (transport kind, api_base, api_key) and reused. */
  transportFor(options: MilvusOptions): MilvusTransportHandle;
}

/**
 * The Milvus vector store provider. The SDK and the proxy share one instance: transports (connection pools) and
 * learned collection facts (metric per field) live as long as it does.
 */
export function createMilvusProvider(settings: MilvusProviderSettings = {}): MilvusProvider {
  const env = settings.env ?? process.env;
  const createTransport = settings.createTransport ?? defaultTransport;
  const transports = new Map<string, MilvusTransport>();
  const collections = new CollectionFactsCache();
  const healthProbes = new Map<string, Promise<void>>();

  function connectionFor(options: MilvusOptions): { connection: MilvusConnection; connectionKey: string; transport: MilvusTransport } {
    const connection = resolveMilvusConnection(options, env);
    const address = connection.kind === "rest" ? connection.baseUrl : `${connection.ssl ? "grpcs" : "grpc"}://${connection.address}`;
    // The token is part of the identity (two keys may see different collections) but is kept only as a hash.
    const tokenHash = connection.token === undefined ? "" : createHash("sha256").update(connection.token).digest("hex");
    const connectionKey = JSON.stringify([connection.kind, address, tokenHash]);
    let transport = transports.get(connectionKey);
    if (transport === undefined) {
      transport = createTransport(connection);
      transports.set(connectionKey, transport);
    }
    return { connection, connectionKey, transport };
  }

  return {
    specificationVersion: "v2",
    id: "milvus",
    storeOptionsSchema: milvusOptionsSchema,
    callerOptionsSchema: milvusCallerOptionsSchema,
    mergeOptions: mergeMilvusOptions,
    writer: createMilvusWriter({ connectionFor, collections }),
    transportFor(options) {
      const { connection, transport } = connectionFor(options);
      return { transport, dbName: options.dbName, displayAddress: connection.displayAddress };
    },
    async search(request: ProviderSearchRequest<MilvusOptions>, callOptions: CallOptions = {}): Promise<ProviderSearchResult> {
      const { transport, connectionKey } = connectionFor(request.options);
      return searchMilvus(request, { transport, connectionKey, collections }, callOptions);
    },
    checkHealth(target: ProviderStoreTarget<MilvusOptions>, callOptions: CallOptions = {}): Promise<void> {
      // `collections/list` is cheap and needs a valid token. Stores on the same Milvus and database share one
      // probe in flight, so a readiness poll of many stores asks each Milvus once.
      const { connection, connectionKey, transport } = connectionFor(target.options);
      const dbName = target.options.dbName;
      const key = JSON.stringify([connectionKey, dbName ?? ""]);
      let probe = healthProbes.get(key);
      if (probe === undefined) {
        probe = transport
          .call("collections/list", dbName === undefined ? {} : { dbName }, {
            timeoutMs: Math.min(target.options.timeout_ms ?? HEALTH_TIMEOUT_MS, HEALTH_TIMEOUT_MS),
          })
          .then((answer) => {
            if (!isMilvusSuccess(answer.code))
              throw new UpstreamError({
                upstream: "vector_store",
                upstreamCode: answer.code,
                message: `Milvus at ${connection.displayAddress} answered code ${answer.code}: ${answer.message ?? "no message"}`,
              });
          })
          .finally(() => healthProbes.delete(key));
        healthProbes.set(key, probe);
      }
      return raceAbort(probe, callOptions.signal);
    },
    async close() {
      const open = [...transports.values()];
      transports.clear();
      collections.clear();
      await Promise.allSettled(open.map((transport) => transport.close()));
    },
  };
}

function defaultTransport(connection: MilvusConnection): MilvusTransport {
  if (connection.kind === "rest") return createRestTransport({ baseUrl: connection.baseUrl, token: connection.token, timeoutMs: connection.timeoutMs });
  return createLazyGrpcTransport(connection);
}

// Loaded on first use: the gRPC client (protobuf definitions) costs start-up time that REST-only deployments skip.
function createLazyGrpcTransport(connection: MilvusGrpcConnection): MilvusTransport {
  let loading: Promise<MilvusTransport> | undefined;
  let closed = false;
  return {
    kind: "grpc",
    async call(endpoint: string, body: Record<string, unknown>, options?: MilvusCallOptions): Promise<MilvusResponse> {
      if (closed) throw new UpstreamError({ upstream: "vector_store", message: `The Milvus transport for ${connection.displayAddress} is closed.` });
      loading ??= import("./grpc/index.js").then(
        (module) => module.createGrpcTransport({ address: connection.address, token: connection.token, ssl: connection.ssl, timeoutMs: connection.timeoutMs }),
        (error: unknown) => {
          loading = undefined;
          throw new UpstreamError({
            upstream: "vector_store",
            message: `The gRPC transport for ${connection.displayAddress} could not be loaded; use an http(s):// api_base for REST v2.`,
            cause: error,
          });
        },
      );
      return (await loading).call(endpoint, body, options);
    },
    async close() {
      closed = true;
      const transport = await loading?.catch(() => undefined);
      await transport?.close();
    },
  };
}
