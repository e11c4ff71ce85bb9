import { startBenchUpstreams } from "./upstreams.js";

/**
 * Child-process entry of the benchmark's upstream pair: its own process, so its CPU is not the load generator's or
 * the proxy's. Reports its addresses over IPC and ends with the parent (SIGTERM or the IPC channel closing).
 */
// argv[2]: the embedding's dimensions (default 512).
const dimensions = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const upstreams = await startBenchUpstreams(dimensions === undefined ? {} : { dimensions });
process.send?.({ type: "ready", milvusUrl: upstreams.milvusUrl, embeddingsUrl: upstreams.embeddingsUrl });

const stop = (): void => {
  upstreams.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
process.once("disconnect", stop);
