import { z } from "zod";

/**
 * A virtual index name travels in URLs, JSON bodies and log lines; keeping it to a plain token keeps it the same
 * string in all of them.
 */
export const indexNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must start with a letter or digit and contain only letters, digits and . _ : -");

/** The body of `POST /v1/indexes` (the reference page's field names). */
export const createIndexInputSchema = z.strictObject({
  index_name: indexNameSchema,
  litellm_params: z.strictObject({
    /** The real collection the virtual name stands for. */
    vector_store_index: z.string().min(1).max(255),
    /** A `vector_store_name` of the config's `vector_store_registry`; the proxy checks it exists. */
    vector_store_name: z.string().min(1).max(255),
  }),
  index_info: z.record(z.string(), z.unknown()).nullish(),
});
export type CreateIndexInput = z.input<typeof createIndexInputSchema>;

export const virtualIndexSchema = z.object({
  index_name: z.string(),
  litellm_params: z.object({ vector_store_index: z.string(), vector_store_name: z.string() }),
  index_info: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
});
export type VirtualIndex = z.infer<typeof virtualIndexSchema>;
