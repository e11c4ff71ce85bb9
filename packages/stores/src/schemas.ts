import { chunkingStrategySchema } from "@vs/ingest";
import { z } from "zod";

/** OpenAI's limits for `metadata` (vector stores) and `attributes` (vector store files). */
export const MAX_PAIRS = 16;
export const MAX_KEY_LENGTH = 64;
export const MAX_STRING_VALUE_LENGTH = 512;
/** OpenAI's cap on one file batch. */
export const MAX_BATCH_FILES = 2000;

const key = z.string().min(1, "keys must not be empty").max(MAX_KEY_LENGTH, `keys are at most ${MAX_KEY_LENGTH} characters`);

export const metadataSchema = z
  .record(key, z.string().max(MAX_STRING_VALUE_LENGTH, `values are at most ${MAX_STRING_VALUE_LENGTH} characters`))
  .refine((value) => Object.keys(value).length <= MAX_PAIRS, { error: `at most ${MAX_PAIRS} key-value pairs` });

export const attributesSchema = z
  .record(
    key,
    z.union([z.string().max(MAX_STRING_VALUE_LENGTH, `strings are at most ${MAX_STRING_VALUE_LENGTH} characters`), z.number(), z.boolean()], {
      error: "values must be a string, a number or a boolean",
    }),
  )
  .refine((value) => Object.keys(value).length <= MAX_PAIRS, { error: `at most ${MAX_PAIRS} attributes` });

export const expiresAfterSchema = z.strictObject({
  anchor: z.literal("last_active_at", { error: 'must be "last_active_at"' }),
  days: z.number().int().min(1).max(365),
});

const fileIdSchema = z.string().min(1, "must not be empty");

export const createVectorStoreInputSchema = z.strictObject({
  name: z.string().max(256).optional(),
  description: z.string().max(512).optional(),
  metadata: metadataSchema.nullish(),
  file_ids: z.array(fileIdSchema).max(500).optional(),
  chunking_strategy: chunkingStrategySchema.optional(),
  expires_after: expiresAfterSchema.nullish(),
});
export type CreateVectorStoreInput = z.input<typeof createVectorStoreInputSchema>;

export const updateVectorStoreInputSchema = z.strictObject({
  name: z.string().max(256).nullish(),
  metadata: metadataSchema.nullish(),
  expires_after: expiresAfterSchema.nullish(),
});
export type UpdateVectorStoreInput = z.input<typeof updateVectorStoreInputSchema>;

export const attachFileInputSchema = z.strictObject({
  file_id: fileIdSchema,
  attributes: attributesSchema.nullish(),
  chunking_strategy: chunkingStrategySchema.optional(),
});
export type AttachFileInput = z.input<typeof attachFileInputSchema>;

export const updateFileAttributesInputSchema = z.strictObject({
  attributes: attributesSchema.nullable(),
});

export const createFileBatchInputSchema = z
  .strictObject({
    file_ids: z.array(fileIdSchema).min(1, "must not be empty").max(MAX_BATCH_FILES).optional(),
    files: z
      .array(z.strictObject({ file_id: fileIdSchema, attributes: attributesSchema.nullish(), chunking_strategy: chunkingStrategySchema.optional() }))
      .min(1, "must not be empty")
      .max(MAX_BATCH_FILES)
      .optional(),
    attributes: attributesSchema.nullish(),
    chunking_strategy: chunkingStrategySchema.optional(),
  })
  .check((context) => {
    const { file_ids: ids, files } = context.value;
    if ((ids === undefined) === (files === undefined)) {
      context.issues.push({
        code: "custom",
        input: context.value,
        path: ids === undefined ? ["file_ids"] : ["files"],
        message: "send exactly one of file_ids and files",
      });
    }
  });
export type CreateFileBatchInput = z.input<typeof createFileBatchInputSchema>;

export const FILE_PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;
export const filePurposeSchema = z.enum(FILE_PURPOSES, { error: `must be one of ${FILE_PURPOSES.join(", ")}` });

const limitSchema = z.coerce.number({ error: "must be a number" }).int("must be an integer").min(1, "must be at least 1").max(100, "must be at most 100");

/** Cursor pagination as OpenAI's lists take it (query strings: numbers arrive as text). */
export const listParamsSchema = z.strictObject({
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
  limit: limitSchema.default(20),
  order: z.enum(["asc", "desc"], { error: 'must be "asc" or "desc"' }).default("desc"),
});
export type ListParamsInput = z.input<typeof listParamsSchema>;
export type ListParams = z.output<typeof listParamsSchema>;

export const fileListParamsSchema = listParamsSchema.extend({
  purpose: z.string().min(1).optional(),
  limit: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(10_000, "must be at most 10000")
    .default(10_000),
});
export type FileListParamsInput = z.input<typeof fileListParamsSchema>;

export const FILE_STATUSES = ["in_progress", "completed", "failed", "cancelled"] as const;
export type VectorStoreFileStatus = (typeof FILE_STATUSES)[number];
export const storeFileListParamsSchema = listParamsSchema.extend({
  filter: z.enum(FILE_STATUSES, { error: `must be one of ${FILE_STATUSES.join(", ")}` }).optional(),
});
export type StoreFileListParamsInput = z.input<typeof storeFileListParamsSchema>;
