import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { BadRequestError } from "@vs/core";

/** What a key may do with a virtual index. */
export const indexPermissionSchema = z.enum(["read", "write"]);
export type IndexPermission = z.infer<typeof indexPermissionSchema>;

export const allowedVectorStoreIndexSchema = z.strictObject({
  index_name: z.string().min(1),
  index_permissions: z.array(indexPermissionSchema).min(1),
});
export type AllowedVectorStoreIndex = z.infer<typeof allowedVectorStoreIndexSchema>;

const allowedVectorStoreIndexesSchema = z.array(allowedVectorStoreIndexSchema).superRefine((entries, context) => {
  const seen = new Set<string>();
  entries.forEach((entry, position) => {
    // Two entries for one index would leave it unclear which permissions apply.
    if (seen.has(entry.index_name)) context.addIssue({ code: "custom", path: [position, "index_name"], message: `"${entry.index_name}" is listed twice` });
    seen.add(entry.index_name);
  });
});

const DURATION = /^(\d+)(s|m|h|d)$/;
const MILLISECONDS_PER_UNIT = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_HELP = 'a positive whole number followed by s, m, h or d, e.g. "30s", "15m", "1h", "30d"';

/** `"30s"`, `"15m"`, `"1h"`, `"30d"` → milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new BadRequestError(`Invalid duration ${JSON.stringify(text)}: expected ${DURATION_HELP}.`, { param: "duration" });
  }
  const milliseconds = amount * MILLISECONDS_PER_UNIT[match[2] as keyof typeof MILLISECONDS_PER_UNIT];
  if (!Number.isSafeInteger(milliseconds)) throw new BadRequestError(`Invalid duration ${JSON.stringify(text)}: too long.`, { param: "duration" });
  return milliseconds;
}

const durationSchema = z.string().superRefine((text, context) => {
  try {
    parseDuration(text);
  } catch {
    context.addIssue({ code: "custom", message: `expected ${DURATION_HELP}` });
  }
});

const KEY_PREFIX = "sk-";

/** A caller-chosen key: `sk-` and at least 8 more characters that survive an HTTP header unchanged. */
const chosenKeySchema = z
  .string()
  .regex(/^sk-[A-Za-z0-9_.~+/=-]{8,}$/, 'must be "sk-" followed by at least 8 letters, digits or -_.~+/=')
  .max(512);

const keyAliasSchema = z.string().min(1).max(255);
const perMinuteLimitSchema = z.number().int().min(0).max(2_147_483_647);
const usdSchema = z.number().finite().min(0);

/** LiteLLM's limit and budget fields, the same in `/key/generate` and `/key/update` (`null` clears one). */
const keyLimitFields = {
  rpm_limit: perMinuteLimitSchema.nullish(),
  /** Embedding tokens per minute. */
  tpm_limit: perMinuteLimitSchema.nullish(),
  max_parallel_requests: perMinuteLimitSchema.nullish(),
  /** USD per budget window. */
  max_budget: usdSchema.nullish(),
  /** USD per budget window past which a warning is logged (requests are still served). */
  soft_budget: usdSchema.nullish(),
  /** The budget window; absent or null: spend is counted from the key's creation and never resets. */
  budget_duration: durationSchema.nullish(),
};
const metadataSchema = z.record(z.string(), z.unknown());

/** The body of `/key/generate` (the reference page's field names). */
export const generateKeyInputSchema = z.strictObject({
  key: chosenKeySchema.optional(),
  key_alias: keyAliasSchema.nullish(),
  models: z.array(z.string().min(1)).default([]),
  allowed_vector_store_indexes: allowedVectorStoreIndexesSchema.default([]),
  /** How long the key lives; null or absent: it never expires. */
  duration: durationSchema.nullish(),
  metadata: metadataSchema.default({}),
  blocked: z.boolean().default(false),
  /** May create vector stores (`POST /v1/vector_stores`); the key then holds read and write on each one it creates. */
  can_create_vector_stores: z.boolean().default(false),
  ...keyLimitFields,
});
export type GenerateKeyInput = z.input<typeof generateKeyInputSchema>;

/** The body of `/key/update` minus the key itself. A field left out keeps its value; `null` clears it. */
export const updateKeyInputSchema = z.strictObject({
  key_alias: keyAliasSchema.nullable().optional(),
  models: z.array(z.string().min(1)).optional(),
  allowed_vector_store_indexes: allowedVectorStoreIndexesSchema.optional(),
  /** Counted from the update; `null` makes the key never expire. */
  duration: durationSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
  blocked: z.boolean().optional(),
  can_create_vector_stores: z.boolean().optional(),
  ...keyLimitFields,
});
export type UpdateKeyInput = z.input<typeof updateKeyInputSchema>;

/**
 * What is known about a key, never the key itself. Dates are ISO strings so the proxy can cache the object as JSON
 * (and check a cached copy with this schema) without losing anything.
 */
export const keyInfoSchema = z.object({
  /** sha256 hex of the key (LiteLLM calls it `token`). */
  token: z.string(),
  /** `sk-...abcd`: the last four characters, enough to tell keys apart in a list. */
  key_name: z.string(),
  key_alias: z.string().nullable(),
  models: z.array(z.string()),
  allowed_vector_store_indexes: z.array(allowedVectorStoreIndexSchema),
  metadata: metadataSchema,
  /** When the key stops working; null: never. */
  expires: z.string().nullable(),
  /** Whether `expires` had passed when this object was read. */
  expired: z.boolean(),
  blocked: z.boolean(),
  can_create_vector_stores: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  rpm_limit: z.number().nullable(),
  tpm_limit: z.number().nullable(),
  max_parallel_requests: z.number().nullable(),
  max_budget: z.number().nullable(),
  soft_budget: z.number().nullable(),
  budget_duration: z.string().nullable(),
  /** Where budget windows are counted from: the key's creation, or the last change of `budget_duration`. */
  budget_started_at: z.string(),
});
export type KeyInfo = z.infer<typeof keyInfoSchema>;

/** sha256 hex: what the database stores and looks keys up by. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** `sk-` + 32 random bytes, base64url. */
export function generateKeyString(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

/** `sk-...abcd`. */
export function keyDisplayName(key: string): string {
  return `${KEY_PREFIX}...${key.slice(-4)}`;
}

export function looksLikeKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX);
}

/**
 * Whether the key's `allowed_vector_store_indexes` grants `permission` on `index`. A key without the index listed
 * is refused: access is granted, never assumed. Expiry and blocking are separate checks (see `isKeyUsable`), because
 * they answer 401 where this answers 403.
 */
export function keyAllows(info: Pick<KeyInfo, "allowed_vector_store_indexes">, index: string, permission: IndexPermission): boolean {
  return info.allowed_vector_store_indexes.some((entry) => entry.index_name === index && entry.index_permissions.includes(permission));
}

/** Whether `expires` has passed at `now`: recomputed rather than trusting `expired`, which may come from a cache. */
export function isKeyExpired(info: Pick<KeyInfo, "expires">, now: Date = new Date()): boolean {
  return info.expires !== null && Date.parse(info.expires) <= now.getTime();
}

/** Neither blocked nor expired at `now`. */
export function isKeyUsable(info: Pick<KeyInfo, "expires" | "blocked">, now: Date = new Date()): boolean {
  return !info.blocked && !isKeyExpired(info, now);
}

/** The budget window `now` falls in: windows of `budget_duration` laid end to end from `budget_started_at`. */
export function budgetWindow(info: Pick<KeyInfo, "budget_duration" | "budget_started_at">, now: Date = new Date()): { start: Date; end: Date | null } {
  const anchor = Date.parse(info.budget_started_at);
  if (info.budget_duration === null) return { start: new Date(anchor), end: null };
  const length = parseDuration(info.budget_duration);
  const start = anchor + Math.floor((now.getTime() - anchor) / length) * length;
  return { start: new Date(start), end: new Date(start + length) };
}

/** Whether the key carries any limit or budget at all: keys without one cost the hot path nothing. */
export function hasLimits(info: Pick<KeyInfo, "rpm_limit" | "tpm_limit" | "max_parallel_requests" | "max_budget" | "soft_budget">): boolean {
  return info.rpm_limit !== null || info.tpm_limit !== null || info.max_parallel_requests !== null || info.max_budget !== null;
}
