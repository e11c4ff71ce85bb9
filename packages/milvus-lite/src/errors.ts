const pointAtExistingMilvus =
  "Alternatively point the gateway at an existing Milvus instead of the embedded one: set MILVUS_API_BASE (e.g. http://localhost:19530).";

/** Milvus Lite cannot be installed here: no suitable Python, no venv module, or pip could not fetch the packages. */
export class MilvusLiteUnavailableError extends Error {
  constructor(problem: string, options: { cause?: unknown } = {}) {
    super(`Milvus Lite is unavailable: ${problem}\n${pointAtExistingMilvus}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MilvusLiteUnavailableError";
  }
}

/** The Milvus Lite process was installed but did not come up (crashed, timed out). `logTail` holds its last output lines. */
export class MilvusLiteStartError extends Error {
  readonly logTail: readonly string[];

  constructor(message: string, logTail: readonly string[]) {
    super(logTail.length === 0 ? message : `${message}\n--- last Milvus Lite output ---\n${logTail.join("\n")}`);
    this.name = "MilvusLiteStartError";
    this.logTail = logTail;
  }
}

/** Another live Milvus Lite process holds the data directory (Milvus Lite allows one process per data dir). */
export class MilvusLiteDataDirLockedError extends MilvusLiteStartError {
  readonly dataDir: string;
  readonly holderPid: number | null;

  constructor(dataDir: string, holderPid: number | null, logTail: readonly string[]) {
    const holder = holderPid === null ? "another process" : `another Milvus Lite process (pid ${holderPid})`;
    super(`The data directory ${dataDir} is locked by ${holder}. Stop that server or use a different data directory.`, logTail);
    this.name = "MilvusLiteDataDirLockedError";
    this.dataDir = dataDir;
    this.holderPid = holderPid;
  }
}
