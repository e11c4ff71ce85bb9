import { parseInput } from "@vs/core";
import { chunkingStrategySchema, type ResolvedChunkingStrategy } from "./chunking-strategy.js";
import { charOffsetOfToken, pieceAt, tokenize, type TokenizedText } from "./tokenizer.js";

export interface TextChunk {
  /** Position of the chunk in the file, from 0. */
  index: number;
  /** The chunk's text: an exact slice of the parsed text. */
  text: string;
  /** Number of the text's tokens in the chunk (≤ max_chunk_size_tokens). */
  tokens: number;
}

/** A chunk as token and character ranges of the text, ends excluded. */
export interface ChunkRange {
  startToken: number;
  endToken: number;
  startChar: number;
  endChar: number;
}

/** How far (a fraction of the window) a chunk's end may move back to land between words instead of inside one. */
const WORD_BOUNDARY_LOOKBACK = 0.1;

/**
 * Splits `text` into windows of at most `max_chunk_size_tokens` tokens; each window after the first starts exactly
 * `chunk_overlap_tokens` tokens before the previous one ended, so every token is in some chunk. Deterministic.
 */
export function chunkText(text: string, strategy: ResolvedChunkingStrategy): TextChunk[] {
  const tokenized = tokenize(text);
  return chunkRanges(tokenized, strategy).map((range, index) => ({
    index,
    text: text.slice(range.startChar, range.endChar),
    tokens: range.endToken - range.startToken,
  }));
}

export function chunkRanges(tokenized: TokenizedText, strategy: ResolvedChunkingStrategy): ChunkRange[] {
  const parsed = parseInput(chunkingStrategySchema, strategy, { prefix: "chunking_strategy", what: "chunking_strategy" });
  if (parsed.type !== "static") throw new TypeError("chunkText needs a resolved strategy: call resolveChunkingStrategy first.");
  const { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } = parsed.static;
  const total = tokenized.tokens.length;
  const ranges: ChunkRange[] = [];
  if (total === 0) return ranges;
  const lookback = Math.floor(max * WORD_BOUNDARY_LOOKBACK);

  let start = 0;
  let startChar = 0;
  for (;;) {
    let end = Math.min(start + max, total);
    if (end < total) end = chooseEnd(tokenized, start + overlap, end, lookback);
    const endChar = charOffsetOfToken(tokenized, end)!;
    ranges.push({ startToken: start, endToken: end, startChar, endChar });
    if (end === total) return ranges;
    // The overlap is exact unless its first token starts inside a multi-byte character: then the chunk starts at the
    // next whole character (at most 3 tokens later); the previous chunk holds that character.
    start = Math.max(end - overlap, start + 1);
    let offset = charOffsetOfToken(tokenized, start);
    while (offset === null) offset = charOffsetOfToken(tokenized, ++start);
    startChar = offset;
  }
}

/**
 * The end of a window whose full size would end at `end`: the last piece boundary within `lookback` tokens (no word is
 * cut), else the last token boundary that is not inside a character. A word boundary is taken only after `minimumEnd`,
 * so the next window, which starts `overlap` tokens earlier, moves forward.
 */
function chooseEnd(tokenized: TokenizedText, minimumEnd: number, end: number, lookback: number): number {
  const pieceStart = tokenized.pieceTokenStarts[pieceAt(tokenized, end)]!;
  if (pieceStart === end) return end;
  if (end - pieceStart <= lookback && pieceStart > minimumEnd) return pieceStart;
  let cut = end;
  // A character is at most 4 bytes, so at most 3 steps back reach a cut between characters (the piece's start is one).
  while (charOffsetOfToken(tokenized, cut) === null) cut -= 1;
  return cut;
}
