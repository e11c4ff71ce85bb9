/** Usage of one embedding call, in the OpenAI shape. */
export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
}

export interface EmbeddingResult {
  vectors: number[][];
  usage: EmbeddingUsage;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * What the texts are for: asymmetric models (Cohere, Voyage, Vertex/Gemini, Jina, NVIDIA, Nomic, …) embed a search
 * query differently from a stored document, and using the document mode for queries loses recall.
 */
export type EmbeddingInputType = "query" | "document";

export interface EmbedOptions extends CallOptions {
  /** `"query"` for searches, `"document"` for the write path; unset means `"document"`, LiteLLM's default. */
  inputType?: EmbeddingInputType;
}

/** An embedding model: turns texts into vectors. Implementations live in `@vs/embeddings`. */
export interface EmbeddingModel {
  readonly specificationVersion: "v1";
  /** `azure`, `openai`, `local`, … */
  readonly provider: string;
  readonly modelId: string;
  /** Known output size, when the model or its config fixes it. */
  readonly dimensions?: number;
  /** How many texts one upstream call takes; `embed` splits larger inputs itself. */
  readonly maxInputsPerCall: number;
  /** Identifies the model and the parts of its config that change its vectors (never a secret); used as a cache key. */
  readonly identity: string;
  /** USD per input token, 0 when free or unknown. */
  readonly inputCostPerToken: number;
  embed(texts: string[], options?: EmbedOptions): Promise<EmbeddingResult>;
  close?(): Promise<void>;
}

// The vector store provider spec: see provider-spec.ts (exported from index.ts).
