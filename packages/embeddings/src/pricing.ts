import priceTable from "./data/embedding-model-prices.json" with { type: "json" };

/** One embedding model of LiteLLM's published price map (only the fields vs uses). */
export interface EmbeddingModelPrice {
  litellm_provider: string;
  input_cost_per_token?: number;
  output_vector_size?: number;
  max_input_tokens?: number;
}

const models: Record<string, EmbeddingModelPrice | undefined> = priceTable.models;

/** Where the vendored table comes from and when it was taken, for the README and for logs. */
export const EMBEDDING_PRICE_TABLE_SOURCE: { source: string; retrieved: string } = { source: priceTable._source, retrieved: priceTable._retrieved };

/**
 * LiteLLM's price-map entry for `<provider>/<modelId>`. LiteLLM keys some models with their prefix (`cohere/embed-v4.0`)
 * and some without (`text-embedding-3-small`, `amazon.titan-embed-text-v2:0`), and files several providers under a
 * suffixed name (`vertex_ai-embedding-models`), so the bare key counts only when its provider matches.
 */
export function lookupEmbeddingPrice(provider: string, modelId: string): EmbeddingModelPrice | undefined {
  const prefixed = models[`${provider}/${modelId}`];
  if (prefixed) return prefixed;
  const bare = models[modelId];
  if (bare && (bare.litellm_provider === provider || bare.litellm_provider.startsWith(`${provider}-`))) return bare;
  return undefined;
}

/** USD per input token: the config's `input_cost_per_token` first, then the price map, else 0 (unknown or self-hosted). */
export function inputCostPerToken(provider: string, modelId: string, configured: number | undefined): number {
  return configured ?? lookupEmbeddingPrice(provider, modelId)?.input_cost_per_token ?? 0;
}
