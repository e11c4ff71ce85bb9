export { MilvusLiteDataDirLockedError, MilvusLiteStartError, MilvusLiteUnavailableError } from "./errors.js";
export { ensureMilvusLiteInstalled, milvusLitePackages, type InstallOptions, type MilvusLiteInstallation } from "./install.js";
export { defaultCacheDir } from "./paths.js";
export { findPython } from "./python.js";
export { startMilvusLite, type MilvusLiteOptions, type MilvusLiteServer } from "./server.js";
