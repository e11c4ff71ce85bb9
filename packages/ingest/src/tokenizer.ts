import { countTokens as countEncodedTokens, decode, encodeGenerator } from "gpt-tokenizer/encoding/cl100k_base";

/**
 * cl100k_base is the tokenizer of OpenAI's embedding models (text-embedding-3-*, ada-002), so a chunk's token count is
 * what those models count against their input limit. A file's text is data: "<|endoftext|>" in it is plain text,
 * never a special token (the library's default would throw on it).
 */
const plainText = { disallowedSpecial: new Set<string>() };

/**
 * Longest run of non-space (or of space) characters encoded as one piece. The library's byte-pair merge is quadratic
 * in a piece's length (a 40,000-letter run takes seconds, a megabyte of them hours), so longer runs — never a word of
 * prose; a DNA sequence, a long unpunctuated run of CJK or Thai script, padding — are encoded in parts of this size.
 * That changes the token count of such runs by about one token per part and leaves all other text exact.
 */
export const MAX_RUN_CHARACTERS = 256;

/**
 * The text in parts that are encoded one by one: the whole text unless it has over-long runs, which are cut every
 * `MAX_RUN_CHARACTERS` characters. One pass over the character codes (a regular expression for long runs
 * backtracks at every character of every word, which cost more than the tokenizer itself).
 */
function* segments(text: string): Generator<string> {
  let segmentStart = 0;
  let runStart = 0;
  let runIsSpace = false;
  for (let index = 0; index < text.length; index += 1) {
    const space = isSpace(text.charCodeAt(index));
    if (index === runStart || space !== runIsSpace) {
      runStart = index;
      runIsSpace = space;
    } else if (index - runStart >= MAX_RUN_CHARACTERS && !isLowSurrogate(text.charCodeAt(index))) {
      yield text.slice(segmentStart, index);
      segmentStart = index;
      runStart = index;
    }
  }
  if (segmentStart < text.length || text.length === 0) yield text.slice(segmentStart);
}

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Number of cl100k_base tokens in `text` (the same count `chunkText` works with). */
export function countTokens(text: string): number {
  let count = 0;
  for (const segment of segments(text)) count += countEncodedTokens(segment, plainText);
  return count;
}

/**
 * The text's tokens and where each pre-tokenizer piece (a word with its leading space, a run of digits or
 * punctuation, whitespace) starts, in tokens and in characters. A cut between pieces never splits a word or a
 * character; a cut inside a piece can.
 */
export interface TokenizedText {
  readonly text: string;
  readonly tokens: readonly number[];
  /** Token index where each piece starts, ascending; a sentinel `tokens.length` ends it. */
  readonly pieceTokenStarts: Int32Array;
  /** Character offset where each piece starts; a sentinel `text.length` ends it. */
  readonly pieceCharStarts: Int32Array;
}

export function tokenize(text: string): TokenizedText {
  const tokens: number[] = [];
  const tokenStarts: number[] = [];
  const charStarts: number[] = [];
  // Most pieces are one token that recurs: decoding each distinct one once keeps a 1 MB text well under a second.
  const singleTokenLength = new Map<number, number>();
  let charOffset = 0;
  for (const segment of segments(text)) {
    for (const piece of encodeGenerator(segment, plainText)) {
      tokenStarts.push(tokens.length);
      charStarts.push(charOffset);
      if (piece.length === 1) {
        const token = piece[0]!;
        let length = singleTokenLength.get(token);
        if (length === undefined) {
          length = decode(piece).length;
          singleTokenLength.set(token, length);
        }
        charOffset += length;
        tokens.push(token);
      } else {
        charOffset += decode(piece).length;
        for (const token of piece) tokens.push(token);
      }
    }
  }
  if (charOffset !== text.length) {
    // Offsets come from decoding the pieces; if they ever disagree with the text, chunks would be sliced wrongly.
    throw new Error(`Tokenizer offsets disagree with the text (${charOffset} characters decoded, ${text.length} in the text).`);
  }
  tokenStarts.push(tokens.length);
  charStarts.push(text.length);
  return { text, tokens, pieceTokenStarts: Int32Array.from(tokenStarts), pieceCharStarts: Int32Array.from(charStarts) };
}

/** Index of the last piece starting at or before token `tokenIndex`. */
export function pieceAt(tokenized: TokenizedText, tokenIndex: number): number {
  const starts = tokenized.pieceTokenStarts;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (starts[middle]! <= tokenIndex) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Character offset of the cut before token `tokenIndex`, or null when that cut falls inside a character (a
 * byte-level token boundary in the middle of a multi-byte character).
 */
export function charOffsetOfToken(tokenized: TokenizedText, tokenIndex: number): number | null {
  const piece = pieceAt(tokenized, tokenIndex);
  const pieceTokenStart = tokenized.pieceTokenStarts[piece]!;
  const pieceCharStart = tokenized.pieceCharStarts[piece]!;
  if (pieceTokenStart === tokenIndex) return pieceCharStart;
  const prefix = decode(tokenized.tokens.slice(pieceTokenStart, tokenIndex));
  // A prefix ending inside a character decodes to U+FFFD there, so it no longer matches the piece's own text.
  return tokenized.text.startsWith(prefix, pieceCharStart) ? pieceCharStart + prefix.length : null;
}
