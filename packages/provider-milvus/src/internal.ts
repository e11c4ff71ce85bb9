// For the workspace's own apps (the proxy's passthrough route), not a public API: it may change in any release.
export {
  COLLECTIONLESS_ENDPOINTS,
  DEFAULT_MILVUS_DATABASE,
  MILVUS_PASSTHROUGH_ENDPOINTS,
  checkPassthroughKeys,
  checkPinnedDatabase,
  classifyPassthroughPath,
  foldJsonKey,
  requestedCollection,
  rewritePassthroughRequest,
  rewritePassthroughRequestText,
  rewritePassthroughResponse,
  type PassthroughPermission,
} from "./milvus-passthrough.js";
export { UnsafeIntegerUnsupportedError, parseJsonExact, scanJson, type JsonScan, type JsonSpan, type UnsafeIntegers } from "./exact-json.js";
