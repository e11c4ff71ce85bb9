import { z } from "zod";

/**
 * The Milvus words every part of this package shares: error codes, consistency levels, vector field types. The REST
 * and gRPC transports, the search, the writer and the options all read them from here, so they cannot drift apart.
 */

/**
 * Milvus error codes (REST v2 `code`; merr codes, pkg/util/merr/errors.go) the gateway gives or tells apart. The gRPC
 * transport answers with these so its answers read the same as Milvus's REST server's.
 */
export const MilvusErrorCode = {
  serviceUnimplemented: 10,
  collectionNotFound: 100,
  indexNotFound: 700,
  indexNotSupported: 701,
  indexDuplicate: 702,
  databaseNotFound: 800,
  invalidParameter: 1100,
  privilegeNotPermitted: 1401,
  notAuthenticated: 1800,
  /** The REST server's binding error: "can only accept json format request" (a field of the wrong type too). */
  invalidJsonBody: 1801,
  missingParameter: 1802,
  invalidInsertData: 1804,
  invalidSearchResult: 1805,
  checkPrimaryKey: 1806,
  rateLimited: 1807,
  unexpected: 65535,
} as const;

export const CONSISTENCY_LEVELS = ["Strong", "Session", "Bounded", "Eventually", "Customized"] as const;
export const consistencyLevelSchema = z.enum(CONSISTENCY_LEVELS);
export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

/** `FloatVector`, `BinaryVector`, `Float16Vector`, `BFloat16Vector`, `SparseFloatVector`, `Int8Vector`, … */
export function isVectorFieldType(type: string | null | undefined): boolean {
  return typeof type === "string" && /vector/i.test(type);
}
