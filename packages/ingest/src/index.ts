export {
  AUTO_CHUNK_OVERLAP_TOKENS,
  AUTO_MAX_CHUNK_SIZE_TOKENS,
  MAX_CHUNK_SIZE_TOKENS,
  MIN_CHUNK_SIZE_TOKENS,
  chunkingStrategySchema,
  resolveChunkingStrategy,
  type ChunkingStrategyInput,
  type ResolvedChunkingStrategy,
} from "./chunking-strategy.js";
export { chunkText, type TextChunk } from "./chunk-text.js";
export { detectFormat, type FileDescription, type FileFormat } from "./detect-format.js";
export { InvalidFileError, UnsupportedFileError } from "./errors.js";
export { parseFile, type ParsedFile, type ParseFileInput } from "./parse-file.js";
export { countTokens } from "./tokenizer.js";
