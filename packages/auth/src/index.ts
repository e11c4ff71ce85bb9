export {
  openAuthStore,
  type AuthStore,
  type GeneratedKey,
  type IndexStore,
  type KeyListOptions,
  type KeyStore,
  type OpenAuthStoreOptions,
  type SharedDatabase,
  type SpendStore,
} from "./store.js";
export {
  allowedVectorStoreIndexSchema,
  budgetWindow,
  hasLimits,
  generateKeyInputSchema,
  hashKey,
  indexPermissionSchema,
  isKeyExpired,
  isKeyUsable,
  keyAllows,
  keyInfoSchema,
  parseDuration,
  updateKeyInputSchema,
  type AllowedVectorStoreIndex,
  type GenerateKeyInput,
  type IndexPermission,
  type KeyInfo,
  type UpdateKeyInput,
} from "./keys.js";
export { createIndexInputSchema, indexNameSchema, virtualIndexSchema, type CreateIndexInput, type VirtualIndex } from "./indexes.js";
export type { Admission, BudgetStore, RateLimitStore, RequestLimits } from "./limits.js";
export {
  spendFilterSchema,
  spendRowInputSchema,
  spendRowSchema,
  type SpendFilter,
  type BudgetCrossing,
  type SpendRecordResult,
  type SpendRow,
  type SpendRowInput,
  type SpendRowRejection,
  type SpendSummary,
} from "./spend.js";
export type { DatabaseDriver, DatabaseKind } from "./database.js";
export type { PrismaClient as AuthPrismaClient } from "./generated/prisma/client.js";
export { Prisma as AuthPrisma } from "./generated/prisma/client.js";
