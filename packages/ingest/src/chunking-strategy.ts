import { parseInput } from "@vs/core";
import { z } from "zod";

export type ChunkingStrategyInput = { type: "auto" } | { type: "static"; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };
export type ResolvedChunkingStrategy = { type: "static"; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };

/** OpenAI's limits and its `auto` values (the same numbers its API documents). */
export const MIN_CHUNK_SIZE_TOKENS = 100;
export const MAX_CHUNK_SIZE_TOKENS = 4096;
export const AUTO_MAX_CHUNK_SIZE_TOKENS = 800;
export const AUTO_CHUNK_OVERLAP_TOKENS = 400;

const staticChunkingSchema = z
  .strictObject({
    max_chunk_size_tokens: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(MIN_CHUNK_SIZE_TOKENS, { error: `must be at least ${MIN_CHUNK_SIZE_TOKENS}` })
      .max(MAX_CHUNK_SIZE_TOKENS, { error: `must be at most ${MAX_CHUNK_SIZE_TOKENS}` }),
    chunk_overlap_tokens: z.number({ error: "must be a number" }).int({ error: "must be an integer" }).min(0, { error: "must be 0 or more" }),
  })
  .check((context) => {
    const { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } = context.value;
    if (overlap > max / 2) {
      context.issues.push({
        code: "custom",
        input: overlap,
        path: ["chunk_overlap_tokens"],
        message: `must not exceed half of max_chunk_size_tokens (${Math.floor(max / 2)})`,
      });
    }
  });

/** `chunking_strategy` of OpenAI's vector store file requests. Strict: an unknown field is an error naming it. */
export const chunkingStrategySchema: z.ZodType<ChunkingStrategyInput> = z.discriminatedUnion(
  "type",
  [z.strictObject({ type: z.literal("auto") }), z.strictObject({ type: z.literal("static"), static: staticChunkingSchema })],
  { error: 'type must be "auto" or "static"' },
);

/**
 * The strategy a file is chunked with: `auto` (or none) is OpenAI's 800 tokens with 400 overlap. Validates again so
 * SDK callers that skip the schema still get a 400 naming the field.
 */
export function resolveChunkingStrategy(input?: ChunkingStrategyInput): ResolvedChunkingStrategy {
  if (input === undefined) return autoStrategy();
  const parsed = parseInput(chunkingStrategySchema, input, { prefix: "chunking_strategy", what: "chunking_strategy" });
  if (parsed.type === "auto") return autoStrategy();
  return { type: "static", static: { max_chunk_size_tokens: parsed.static.max_chunk_size_tokens, chunk_overlap_tokens: parsed.static.chunk_overlap_tokens } };
}

function autoStrategy(): ResolvedChunkingStrategy {
  return { type: "static", static: { max_chunk_size_tokens: AUTO_MAX_CHUNK_SIZE_TOKENS, chunk_overlap_tokens: AUTO_CHUNK_OVERLAP_TOKENS } };
}
