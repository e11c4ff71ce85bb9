/**
 * The gRPC transport, loaded lazily by milvus-provider.ts (only deployments that use gRPC load the SDK). Modules by
 * concern: transport (connection, dispatch), answers (status → REST code), failures (deadline, abort, gRPC errors),
 * bodies (REST v2 body schemas), collections (cached schema and metrics), expressions (searchParams, filters),
 * values (int64/float32, rows), search, entities, admin and create (the endpoints).
 */
export { createGrpcTransport, type GrpcTransportOptions } from "./transport.js";
export { inlineExpressionParameters } from "./expressions.js";
export { float32Value, int64Value } from "./values.js";
