import { MilvusClient, type buildSearchRequest } from "@zilliz/milvus2-sdk-node";
import type { MilvusResponse } from "../milvus-transport.js";
import type { CollectionCaches } from "./collections.js";

// What every translation of a REST v2 call works with: the SDK client, the addressed database, the deadline.

/** The SDK client with the few protected parts the translation needs. */
export class GatewayMilvusClient extends MilvusClient {
  get protoRoot(): Parameters<typeof buildSearchRequest>[2] {
    return this.milvusProto;
  }

  /** Drops the SDK's own schema cache for a collection (insert reads it), in every database. */
  forgetCollection(collectionName: string): void {
    for (const key of [...this.collectionInfoCache.keys()]) {
      if (key.endsWith(`:${collectionName}`)) this.collectionInfoCache.delete(key);
    }
  }
}

export interface CallContext {
  client: GatewayMilvusClient;
  /** Milvus Lite numbers its errors its own way and cannot parse filter templates. */
  isMilvusLite: boolean;
  /** The body's `dbName`, sent as the SDK's `db_name` (the shared client's database is never switched). */
  dbName: string | undefined;
  /** The database the call addresses: the body's, the transport's, else `default`. */
  database: string;
  caches: CollectionCaches;
  /** What is left of the call's time, for the next RPC; throws the 504 when nothing is left. */
  remainingMs(): number;
}

export type Handler = (body: Record<string, unknown>, context: CallContext) => Promise<MilvusResponse>;

/** The `db_name` part of an SDK request: only when the body named a database. */
export function database(context: CallContext): { db_name?: string } {
  return context.dbName === undefined ? {} : { db_name: context.dbName };
}
