import { BadRequestError, type EmbeddingModel } from "@vs/core";

/**
 * Checks a model's output size against a store's vector field before a search goes out: a mismatch would otherwise
 * surface as an opaque vector-database error (or, worse, a search against the wrong index). `vector` is a vector the
 * model returned; when absent, the model's declared `dimensions` is checked (and an unknown size passes).
 */
export function assertEmbeddingDimensions(
  model: Pick<EmbeddingModel, "provider" | "modelId" | "dimensions">,
  field: { name: string; dimensions: number; store: string },
  vector?: readonly number[],
): void {
  const actual = vector?.length ?? model.dimensions;
  if (actual === undefined || actual === field.dimensions) return;
  throw new BadRequestError(
    `The embedding model "${model.provider}/${model.modelId}" returns ${actual}-dimensional vectors, but the vector field "${field.name}" of the store "${field.store}" has ${field.dimensions} dimensions: use the model the store was built with (or set litellm_embedding_config.dimensions to ${field.dimensions} if the model supports it).`,
    { param: "litellm_embedding_model", code: "embedding_dimension_mismatch" },
  );
}
