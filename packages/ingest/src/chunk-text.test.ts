import { BadRequestError } from "@vs/core";
import { decode, encode } from "gpt-tokenizer/encoding/cl100k_base";
import { describe, expect, it } from "vitest";
import { resolveChunkingStrategy, type ResolvedChunkingStrategy } from "./chunking-strategy.js";
import { chunkRanges, chunkText } from "./chunk-text.js";
import { countTokens, tokenize } from "./tokenizer.js";

const strategy = (max: number, overlap: number): ResolvedChunkingStrategy => ({
  type: "static",
  static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap },
});

/** Deterministic prose: numbered sentences with words of one to several tokens. */
function prose(sentences: number): string {
  const words = [
    "vector",
    "stores",
    "keep",
    "embeddings",
    "of",
    "documents",
    "interoperability",
    "Milvus",
    "retrieval",
    "chunk",
    "overlapping",
    "tokenization",
  ];
  const out: string[] = [];
  for (let index = 0; index < sentences; index += 1) {
    const length = 6 + (index % 9);
    const sentence = Array.from({ length }, (_, word) => words[(index * 7 + word * 3) % words.length]).join(" ");
    out.push(`Sentence ${index}: ${sentence}.`);
  }
  return out.join(" ");
}

describe("chunkText", () => {
  it("returns no chunk for an empty text and one chunk for a short one", () => {
    expect(chunkText("", resolveChunkingStrategy())).toEqual([]);
    const text = "A short note about Milvus.";
    expect(chunkText(text, resolveChunkingStrategy())).toEqual([{ index: 0, text, tokens: countTokens(text) }]);
  });

  it("windows of at most max tokens, each starting exactly overlap tokens before the previous end, covering every token", () => {
    const text = prose(400);
    const tokenized = tokenize(text);
    const ranges = chunkRanges(tokenized, strategy(100, 20));
    expect(ranges.length).toBeGreaterThan(10);
    expect(ranges[0]!.startToken).toBe(0);
    expect(ranges.at(-1)!.endToken).toBe(tokenized.tokens.length);
    for (const [index, range] of ranges.entries()) {
      expect(range.endToken - range.startToken).toBeLessThanOrEqual(100);
      // Ends move back at most 10% of the window to avoid cutting a word.
      if (index < ranges.length - 1) expect(range.endToken - range.startToken).toBeGreaterThanOrEqual(90);
      if (index > 0) expect(range.startToken).toBe(ranges[index - 1]!.endToken - 20);
      expect(text.slice(range.startChar, range.endChar)).toBe(decode(tokenized.tokens.slice(range.startToken, range.endToken)));
    }
    const chunks = chunkText(text, strategy(100, 20));
    expect(chunks.map((chunk) => chunk.tokens)).toEqual(ranges.map((range) => range.endToken - range.startToken));
    expect(chunks.map((chunk) => chunk.index)).toEqual(ranges.map((_, index) => index));
  });

  it("ends chunks between words, never inside one", () => {
    const text = prose(300);
    const chunks = chunkText(text, strategy(100, 0));
    // With no overlap the chunks are consecutive slices of the text.
    expect(chunks.map((chunk) => chunk.text).join("")).toBe(text);
    let offset = 0;
    for (const chunk of chunks.slice(0, -1)) {
      offset += chunk.text.length;
      // A letter on both sides of a cut would be a word cut in two.
      expect(`${text[offset - 1]}${text[offset]}`).not.toMatch(/^\p{L}\p{L}$/u);
    }
  });

  it("applies the auto strategy's 800 / 400 exactly", () => {
    const text = prose(1500);
    const tokenized = tokenize(text);
    const ranges = chunkRanges(tokenized, resolveChunkingStrategy({ type: "auto" }));
    expect(ranges.length).toBeGreaterThan(5);
    for (const [index, range] of ranges.entries()) {
      expect(range.endToken - range.startToken).toBeLessThanOrEqual(800);
      if (index > 0) expect(range.startToken).toBe(ranges[index - 1]!.endToken - 400);
    }
  });

  it("never splits a multi-byte character and still covers the whole text", () => {
    const text = Array.from({ length: 3000 }, (_, index) => ["数据库", "🙂", "délégation", "ベクトル", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"][index % 5]).join("");
    const tokenized = tokenize(text);
    const ranges = chunkRanges(tokenized, strategy(100, 30));
    expect(ranges[0]!.startChar).toBe(0);
    expect(ranges.at(-1)!.endChar).toBe(text.length);
    for (const [index, range] of ranges.entries()) {
      expect(range.endToken - range.startToken).toBeLessThanOrEqual(100);
      const chunk = text.slice(range.startChar, range.endChar);
      expect(chunk).not.toContain("\uFFFD");
      expect(chunk).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      if (index > 0) {
        const previous = ranges[index - 1]!;
        // Overlap is exact unless its first token was inside a character; then it shrinks by at most 3 tokens.
        expect(previous.endToken - range.startToken).toBeLessThanOrEqual(30);
        expect(previous.endToken - range.startToken).toBeGreaterThanOrEqual(27);
        expect(range.startChar).toBeLessThanOrEqual(previous.endChar);
      }
    }
    for (const chunk of chunkText(text, strategy(100, 30))) expect(text).toContain(chunk.text);
  });

  it("cuts a long unbroken run when it must, within max tokens, counting the tokens countTokens counts", () => {
    // 300,000 letters without a space: encoded whole, the tokenizer's merge step would take hours.
    let seed = 1;
    const letters = Array.from({ length: 300_000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return String.fromCharCode(97 + (seed % 26));
    }).join("");
    for (const text of [`start ${letters} end`, `${"数据库向量检索".repeat(2000)} ${" ".repeat(1000)}tail`, prose(200)]) {
      const chunks = chunkText(text, strategy(200, 0));
      expect(chunks.map((chunk) => chunk.text).join("")).toBe(text);
      for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(200);
      expect(chunks.reduce((sum, chunk) => sum + chunk.tokens, 0)).toBe(countTokens(text));
    }
    // Ordinary text is counted exactly as the tokenizer counts it.
    expect(countTokens(prose(200))).toBe(encode(prose(200)).length);
  });

  it("treats special-token text as plain text", () => {
    const text = "before <|endoftext|> after";
    expect(countTokens(text)).toBe(encode(text, { disallowedSpecial: new Set() }).length);
    expect(countTokens(text)).toBeGreaterThan(3);
    expect(chunkText(text, resolveChunkingStrategy())[0]!.text).toBe(text);
  });

  it("is deterministic", () => {
    const text = prose(500);
    expect(chunkText(text, strategy(150, 40))).toEqual(chunkText(text, strategy(150, 40)));
  });

  it("rejects a strategy outside OpenAI's limits", () => {
    expect(() => chunkText("text", strategy(50, 0))).toThrow(BadRequestError);
    expect(() => chunkText("text", strategy(200, 101))).toThrow(/chunk_overlap_tokens/);
  });
});
