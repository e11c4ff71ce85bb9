/** The fixed data every benchmark path uses: one query, one 512-d vector, one 10-row Milvus answer. */

export const BENCH_DIMENSIONS = 512;
export const BENCH_RESULT_ROWS = 10;
export const BENCH_QUERY = "What is the capital of France?";
export const BENCH_COLLECTION = "bench_collection";
export const BENCH_STORE = "bench-store";
export const BENCH_INDEX = "bench-index";
export const BENCH_EMBEDDING_MODEL = "bench";
export const BENCH_MASTER_KEY = "sk-bench-master-key-0001";
/** Caller-chosen virtual key: every proxy of the run gets the same one, so clients need no per-proxy state. */
export const BENCH_VIRTUAL_KEY = "sk-bench-virtual-key-0001";
/** Sent by the proxy and the direct client alike; the fake upstreams accept anything. */
export const BENCH_MILVUS_TOKEN = "bench-milvus-token";
export const BENCH_EMBEDDING_API_KEY = "sk-bench-embedding-key";
export const BENCH_TEXT_FIELD = "text";
export const BENCH_OUTPUT_FIELDS = ["title"];
export const BENCH_METRIC = "COSINE";

/**
 * A unit vector from a fixed seed (mulberry32), rounded to 9 significant digits as OpenAI's JSON has them, so the
 * bytes on the wire are the size a real embedding's are (~5 KB for 512 dimensions).
 */
export function benchVector(dimensions = BENCH_DIMENSIONS, seed = 42): number[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  const raw = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, value) => sum + value * value, 0));
  return raw.map((value) => Number((value / norm).toPrecision(9)));
}

const PASSAGES = [
  "Paris is the capital and most populous city of France, on the Seine, with an estimated population of about two million residents.",
  "France is a country in Western Europe; its capital, Paris, has been a major centre of finance, diplomacy, commerce and the arts.",
  "The Eiffel Tower, built for the 1889 World's Fair, is a wrought-iron lattice tower on the Champ de Mars in Paris.",
  "Lyon is the third-largest city of France and the capital of the Auvergne-Rhône-Alpes region, known for its cuisine.",
  "Versailles was the seat of the French court from 1682 until the Revolution, about twenty kilometres west of Paris.",
  "The Louvre in Paris is the world's most-visited art museum and home of the Mona Lisa and the Venus de Milo.",
  "Marseille, on the Mediterranean coast, is the oldest city of France, founded by Greek settlers around 600 BC.",
  "The French Republic's institutions sit in Paris: the Élysée Palace, the National Assembly and the Senate.",
  "Bordeaux is a port city on the Garonne in southwestern France, famous as the centre of a major wine region.",
  "The Seine flows 777 kilometres from Burgundy through Paris to the English Channel at Le Havre.",
];

/** Rows as Milvus REST v2 returns them for `outputFields: ["text", "title"]`, best first (COSINE: larger is better). */
export function benchSearchRows(count = BENCH_RESULT_ROWS): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => ({
    id: 1000 + index,
    distance: Number((0.83 - index * 0.017).toFixed(6)),
    [BENCH_TEXT_FIELD]: PASSAGES[index % PASSAGES.length],
    title: `Passage ${index + 1}`,
  }));
}

/** The `entities/search` body a client sends (direct) or a developer sends through the passthrough. */
export function benchSearchBody(collectionName: string, vector: number[]): Record<string, unknown> {
  return {
    collectionName,
    data: [vector],
    limit: BENCH_RESULT_ROWS,
    outputFields: [BENCH_TEXT_FIELD, ...BENCH_OUTPUT_FIELDS],
    searchParams: { metricType: BENCH_METRIC },
  };
}
