export { FakeEmbeddingServer, type FakeAction, type FakeReply, type RecordedRequest } from "./fake-embedding-server.js";
export { canConnect, freePort } from "./ports.js";
export { randomVector, seededRandom } from "./random.js";
export { TcpProxy } from "./tcp-proxy.js";
export { findPostgresBinDirectory, PostgresNotInstalledError, startPrivatePostgres, type PrivatePostgres } from "./services/postgres.js";
export { RedisNotInstalledError, startPrivateRedis, type PrivateRedis } from "./services/redis.js";
export { cosine, dot, similarity, squaredL2, type Metric } from "./vectors.js";
export { makePdf } from "./make-pdf.js";
