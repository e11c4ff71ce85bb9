import type { EmbeddingResult, EmbeddingUsage } from "@vs/core";

export function emptyUsage(): EmbeddingUsage {
  return { prompt_tokens: 0, total_tokens: 0 };
}

/**
 * Rough token count for when no tokenizer is at hand (an upstream that reports no usage): one token per
 * whitespace-separated word. It undercounts subword tokenizers, so cost figures built on it are estimates.
 */
export function approximateTokenCount(texts: readonly string[]): number {
  let count = 0;
  for (const text of texts) count += text.match(/\S+/g)?.length ?? 0;
  return count;
}

/**
 * Splits `texts` into calls of at most `maxInputsPerCall`, one after the other (upstreams rate-limit per
 * deployment, so parallel batches mostly buy 429s), and concatenates the vectors in input order.
 */
export async function embedInBatches(
  texts: readonly string[],
  maxInputsPerCall: number,
  embedBatch: (batch: string[]) => Promise<EmbeddingResult>,
): Promise<EmbeddingResult> {
  const vectors: number[][] = [];
  const usage = emptyUsage();
  for (let start = 0; start < texts.length; start += maxInputsPerCall) {
    const batch = texts.slice(start, start + maxInputsPerCall);
    const result = await embedBatch(batch);
    // Providers check their own answers; this is the last line against a vector landing on the wrong text.
    if (result.vectors.length !== batch.length) throw new Error(`embedding batch returned ${result.vectors.length} vectors for ${batch.length} texts`);
    vectors.push(...result.vectors);
    usage.prompt_tokens += result.usage.prompt_tokens;
    usage.total_tokens += result.usage.total_tokens;
  }
  return { vectors, usage };
}
