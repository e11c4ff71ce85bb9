import { BadRequestError, NotFoundError, ServiceUnavailableError, describeIssues, parseInput } from "@vs/core";
import { z } from "zod";
import { connectDatabase, type DatabaseDriver, type DatabaseKind } from "./database.js";
import { guarded, type ErrorMeaning } from "./database-errors.js";
import { PrismaClient, type Prisma, type VerificationToken, type VirtualIndex as VirtualIndexRow } from "./generated/prisma/client.js";
import { createIndexInputSchema, indexNameSchema, type CreateIndexInput, type VirtualIndex } from "./indexes.js";
import {
  type AllowedVectorStoreIndex,
  allowedVectorStoreIndexSchema,
  generateKeyInputSchema,
  generateKeyString,
  hashKey,
  keyDisplayName,
  looksLikeKey,
  parseDuration,
  updateKeyInputSchema,
  type GenerateKeyInput,
  type KeyInfo,
  type UpdateKeyInput,
} from "./keys.js";
import { createPostgresBudgets, createPostgresRateLimits, type BudgetStore, type RateLimitStore } from "./limits.js";
import { applyMigrations } from "./migrations.js";
import { assertNoNul, hasNul } from "./nul.js";
import {
  spendFilterSchema,
  spendRowInputSchema,
  type BudgetCrossing,
  type SpendFilter,
  type SpendRecordResult,
  type SpendRow,
  type SpendRowInput,
  type SpendRowRejection,
  type SpendSummary,
} from "./spend.js";

export interface OpenAuthStoreOptions {
  /** `postgresql://user:password@host:port/database[?schema=name&connection_limit=n]`. */
  databaseUrl?: string | undefined;
  /** Without a URL the store embeds PGlite under `<dataDir>/pglite`. Required when there is no URL. */
  dataDir?: string | undefined;
  /** One line per notable event (migrations applied, connections dropped). Never given a key or a password. */
  log?: ((line: string) => void) | undefined;
  /** The store's notion of now: key expiry, `created_at`. Tests move it instead of sleeping. */
  clock?: (() => Date) | undefined;
}

export interface GeneratedKey {
  /** The key itself: returned once, stored nowhere. */
  key: string;
  info: KeyInfo;
}

export interface KeyListOptions {
  /** 100 by default, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface KeyStore {
  generate(input: GenerateKeyInput, actor: string): Promise<GeneratedKey>;
  /** The hot path: one query by the key's hash. Expired and blocked keys are returned, flagged. */
  findByKey(key: string): Promise<KeyInfo | null>;
  /** Like `findByKey`, for a caller that already holds the hash (e.g. a cache keyed by it). */
  findByHash(token: string): Promise<KeyInfo | null>;
  /** Accepts the key, its hash (`token`) or its alias. */
  info(keyOrHashOrAlias: string): Promise<KeyInfo | null>;
  /** Newest first. */
  list(options?: KeyListOptions): Promise<KeyInfo[]>;
  /** `NotFoundError` when nothing matches. */
  update(keyOrHashOrAlias: string, patch: UpdateKeyInput, actor: string): Promise<KeyInfo>;
  /** Deletes whatever matches; names that match nothing are skipped. Returns the hashes deleted. */
  delete(keysOrHashesOrAliases: string[]): Promise<{ deleted: string[] }>;
  /**
   * Adds one entry to a key's `allowed_vector_store_indexes` in one statement (two stores created at once by one key
   * both land); an entry for the same index is replaced. False when no key has that hash.
   */
  grant(token: string, entry: AllowedVectorStoreIndex): Promise<boolean>;
}

export interface IndexStore {
  /** `BadRequestError` with code `index_exists` when the name is taken. */
  create(input: CreateIndexInput, actor: string): Promise<VirtualIndex>;
  get(name: string): Promise<VirtualIndex | null>;
  /** The ones that exist, in one query: lets the proxy check a key's `allowed_vector_store_indexes` at once. */
  getMany(names: string[]): Promise<VirtualIndex[]>;
  /** By name. */
  list(): Promise<VirtualIndex[]>;
  /** Whether it existed. */
  delete(name: string): Promise<boolean>;
}

export interface SpendStore {
  /**
   * Writes what it can: a row that is invalid or that the database refuses is reported in `rejected` and the
   * others are written. Rejects (503) only when the database does not answer; the rows can then be sent again.
   */
  record(rows: SpendRowInput[]): Promise<SpendRecordResult>;
  /** Newest first. */
  list(filter?: SpendFilter): Promise<SpendRow[]>;
  summary(filter?: Omit<SpendFilter, "limit">): Promise<SpendSummary>;
}

/**
 * The open database, for the packages whose tables live in this schema (the vector store write path, `@vs/stores`):
 * the Prisma client of every model in `prisma/schema.prisma`, and the driver for a library that brings its own
 * SQL (the job queue). Closed with the store.
 */
export interface SharedDatabase {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  readonly driver: DatabaseDriver;
}

export interface AuthStore {
  readonly kind: DatabaseKind;
  readonly database: SharedDatabase;
  readonly keys: KeyStore;
  readonly indexes: IndexStore;
  readonly spend: SpendStore;
  /** rpm_limit, tpm_limit and max_parallel_requests kept in the database (when no Redis is configured). */
  readonly rateLimits: RateLimitStore & { sweep(): Promise<void> };
  /** Each key's spend per budget window, kept up to date by `spend.record`. */
  readonly budgets: BudgetStore;
  /** Resolves when the database answers; `ServiceUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects (PostgreSQL for a URL, embedded PGlite otherwise), applies pending migrations and returns the store.
 * Every failure to reach the database is a `ServiceUnavailableError` with code `database_unavailable`.
 */
export async function openAuthStore(options: OpenAuthStoreOptions): Promise<AuthStore> {
  const log = options.log ?? (() => undefined);
  const connection = await connectDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, log });
  try {
    await applyMigrations(connection, { log });
    const prisma = new PrismaClient({ adapter: connection.adapter });
    log(
      connection.kind === "pglite"
        ? "auth store: embedded PGlite ready"
        : `auth store: PostgreSQL ready${connection.schema === null ? "" : ` (schema ${connection.schema})`}`,
    );
    return createAuthStore({
      kind: connection.kind,
      driver: connection.driver,
      prisma,
      clock: options.clock ?? (() => new Date()),
      close: () => connection.close(),
    });
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

const keyListOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});
const storedAllowedIndexesSchema = z.array(allowedVectorStoreIndexSchema);
const storedObjectSchema = z.record(z.string(), z.unknown());
const keyReferencesSchema = z.array(z.string().min(1));

function toKeyInfo(row: VerificationToken, now: Date): KeyInfo {
  const allowed = storedAllowedIndexesSchema.safeParse(row.allowed_vector_store_indexes);
  const metadata = storedObjectSchema.safeParse(row.metadata);
  // Only this package writes these columns; a row that does not parse was edited by hand and grants nothing.
  if (!allowed.success || !metadata.success) throw new Error(`Key ${row.key_name} has malformed allowed_vector_store_indexes or metadata in the database.`);
  return {
    token: row.token,
    key_name: row.key_name,
    key_alias: row.key_alias,
    models: row.models,
    allowed_vector_store_indexes: allowed.data,
    metadata: metadata.data,
    expires: row.expires_at?.toISOString() ?? null,
    expired: row.expires_at !== null && row.expires_at.getTime() <= now.getTime(),
    blocked: row.blocked,
    can_create_vector_stores: row.can_create_vector_stores,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    max_parallel_requests: row.max_parallel_requests,
    max_budget: row.max_budget,
    soft_budget: row.soft_budget,
    budget_duration: row.budget_duration,
    budget_started_at: (row.budget_started_at ?? row.created_at).toISOString(),
  };
}

/** The limit columns of a generate or update body; a field left out is left as it is. */
function limitColumns(
  input: {
    rpm_limit?: number | null | undefined;
    tpm_limit?: number | null | undefined;
    max_parallel_requests?: number | null | undefined;
    max_budget?: number | null | undefined;
    soft_budget?: number | null | undefined;
    budget_duration?: string | null | undefined;
  },
  now: Date,
) {
  const columns: Record<string, unknown> = {};
  for (const name of ["rpm_limit", "tpm_limit", "max_parallel_requests", "max_budget", "soft_budget"] as const)
    if (input[name] !== undefined) columns[name] = input[name];
  if (input.budget_duration !== undefined) {
    // A new window length starts a new window: the spend of the old one does not carry over.
    columns["budget_duration"] = input.budget_duration;
    columns["budget_duration_ms"] = input.budget_duration === null ? null : BigInt(parseDuration(input.budget_duration));
    columns["budget_started_at"] = now;
  }
  return columns;
}

function toVirtualIndex(row: VirtualIndexRow): VirtualIndex {
  const info = row.index_info === null ? null : storedObjectSchema.safeParse(row.index_info);
  return {
    index_name: row.index_name,
    litellm_params: { vector_store_index: row.vector_store_index, vector_store_name: row.vector_store_name },
    index_info: info === null || !info.success ? null : info.data,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

function requestIdOf(raw: unknown): string | null {
  const value = (raw as { request_id?: unknown } | null)?.request_id;
  return typeof value === "string" && value !== "" ? value : null;
}

/** The driver's own words (kept in `cause` by `guarded`); they name the column or value, never a connection URL. */
function databaseRefusal(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return (cause as Error).message?.split("\n").filter(Boolean).at(-1)?.slice(0, 300) ?? String(cause);
}

/** Names what the caller passed without ever echoing a key. */
function describeReference(reference: string): string {
  return looksLikeKey(reference) ? `key ${keyDisplayName(reference)}` : JSON.stringify(reference);
}

const keyUniqueViolation =
  (alias: string | null | undefined): ErrorMeaning["uniqueViolation"] =>
  (constraint) =>
    constraint.includes("key_alias")
      ? new BadRequestError(`key_alias ${JSON.stringify(alias)} is already used by another key.`, { param: "key_alias", code: "key_alias_exists" })
      : new BadRequestError("That key already exists; choose another or let the proxy generate one.", { param: "key", code: "key_exists" });

interface StoreParts {
  kind: DatabaseKind;
  driver: DatabaseDriver;
  prisma: PrismaClient;
  clock: () => Date;
  close: () => Promise<void>;
}

function createAuthStore({ kind, driver, prisma, clock, close }: StoreParts): AuthStore {
  let closed = false;
  const run = <T>(operation: () => Promise<T>, meaning?: ErrorMeaning): Promise<T> => {
    if (closed) return Promise.reject(new ServiceUnavailableError("The auth store is closed.", { code: "database_unavailable" }));
    return guarded(operation, meaning);
  };

  /** The candidate rows for a key, a hash or an alias, preferring that order when one string matches several. */
  const resolve = async (reference: string): Promise<VerificationToken | null> => {
    // Nothing stored holds a NUL (it is refused on the way in), and PostgreSQL would refuse the query.
    if (hasNul(reference)) return null;
    const hash = hashKey(reference);
    const rows = await run(() =>
      prisma.verificationToken.findMany({ where: { OR: [{ token: hash }, { token: reference }, { key_alias: reference }] }, take: 3 }),
    );
    return rows.find((row) => row.token === hash) ?? rows.find((row) => row.token === reference) ?? rows.find((row) => row.key_alias === reference) ?? null;
  };

  const findByHash = async (token: string): Promise<KeyInfo | null> => {
    if (hasNul(token)) return null;
    const row = await run(() => prisma.verificationToken.findUnique({ where: { token } }));
    return row === null ? null : toKeyInfo(row, clock());
  };

  const keys: KeyStore = {
    async generate(rawInput, actor) {
      const input = parseInput(generateKeyInputSchema, rawInput, { what: "key" });
      assertNoNul(input);
      const key = input.key ?? generateKeyString();
      const now = clock();
      const row = await run(
        () =>
          prisma.verificationToken.create({
            data: {
              token: hashKey(key),
              key_name: keyDisplayName(key),
              key_alias: input.key_alias ?? null,
              models: input.models,
              allowed_vector_store_indexes: input.allowed_vector_store_indexes,
              metadata: input.metadata as Prisma.InputJsonObject,
              expires_at: input.duration == null ? null : new Date(now.getTime() + parseDuration(input.duration)),
              blocked: input.blocked,
              can_create_vector_stores: input.can_create_vector_stores,
              ...limitColumns(input, now),
              budget_started_at: now,
              created_at: now,
              updated_at: now,
              created_by: actor,
              updated_by: actor,
            },
          }),
        { uniqueViolation: keyUniqueViolation(input.key_alias) },
      );
      return { key, info: toKeyInfo(row, now) };
    },

    findByKey: (key) => findByHash(hashKey(key)),
    findByHash,

    async info(reference) {
      const row = await resolve(reference);
      return row === null ? null : toKeyInfo(row, clock());
    },

    async list(rawOptions = {}) {
      const options = parseInput(keyListOptionsSchema, rawOptions, { what: "key list options" });
      const rows = await run(() =>
        prisma.verificationToken.findMany({ orderBy: [{ created_at: "desc" }, { token: "asc" }], take: options.limit, skip: options.offset }),
      );
      const now = clock();
      return rows.map((row) => toKeyInfo(row, now));
    },

    async update(reference, rawPatch, actor) {
      const patch = parseInput(updateKeyInputSchema, rawPatch, { what: "key update" });
      assertNoNul(patch);
      const notFound = () => new NotFoundError(`No key matches ${describeReference(reference)}.`, { code: "key_not_found" });
      const current = await resolve(reference);
      if (current === null) throw notFound();
      const now = clock();
      const row = await run(
        () =>
          prisma.verificationToken.update({
            where: { token: current.token },
            data: {
              ...(patch.key_alias === undefined ? {} : { key_alias: patch.key_alias }),
              ...(patch.models === undefined ? {} : { models: patch.models }),
              ...(patch.allowed_vector_store_indexes === undefined ? {} : { allowed_vector_store_indexes: patch.allowed_vector_store_indexes }),
              ...(patch.metadata === undefined ? {} : { metadata: patch.metadata as Prisma.InputJsonObject }),
              ...(patch.blocked === undefined ? {} : { blocked: patch.blocked }),
              ...(patch.can_create_vector_stores === undefined ? {} : { can_create_vector_stores: patch.can_create_vector_stores }),
              ...(patch.duration === undefined ? {} : { expires_at: patch.duration === null ? null : new Date(now.getTime() + parseDuration(patch.duration)) }),
              ...limitColumns(patch, now),
              updated_at: now,
              updated_by: actor,
            },
          }),
        { uniqueViolation: keyUniqueViolation(patch.key_alias), notFound },
      );
      return toKeyInfo(row, now);
    },

    async delete(rawReferences) {
      const references = parseInput(keyReferencesSchema, rawReferences, { what: "keys to delete", prefix: "keys" }).filter((reference) => !hasNul(reference));
      if (references.length === 0) return { deleted: [] };
      const tokens = [...new Set(references.flatMap((reference) => [hashKey(reference), reference]))];
      const deleted = await run(() =>
        prisma.$transaction(async (transaction) => {
          const rows = await transaction.verificationToken.findMany({
            where: { OR: [{ token: { in: tokens } }, { key_alias: { in: references } }] },
            select: { token: true },
          });
          const found = rows.map((row) => row.token);
          if (found.length > 0) await transaction.verificationToken.deleteMany({ where: { token: { in: found } } });
          return found;
        }),
      );
      return { deleted };
    },

    async grant(token, rawEntry) {
      const entry = parseInput(allowedVectorStoreIndexSchema, rawEntry, { what: "grant" });
      const count = await run(() =>
        prisma.$executeRawUnsafe(
          `UPDATE vs_verification_tokens
              SET allowed_vector_store_indexes = COALESCE((SELECT jsonb_agg(item) FROM jsonb_array_elements(allowed_vector_store_indexes) AS item WHERE item->>'index_name' <> $2), '[]'::jsonb) || jsonb_build_array($3::jsonb),
                  updated_at = $4
            WHERE token = $1`,
          token,
          entry.index_name,
          JSON.stringify(entry),
          clock(),
        ),
      );
      return count > 0;
    },
  };

  const indexes: IndexStore = {
    async create(rawInput, actor) {
      const input = parseInput(createIndexInputSchema, rawInput, { what: "index" });
      assertNoNul(input);
      const now = clock();
      const row = await run(
        () =>
          prisma.virtualIndex.create({
            data: {
              index_name: input.index_name,
              vector_store_index: input.litellm_params.vector_store_index,
              vector_store_name: input.litellm_params.vector_store_name,
              ...(input.index_info == null ? {} : { index_info: input.index_info as Prisma.InputJsonObject }),
              created_at: now,
              updated_at: now,
              created_by: actor,
              updated_by: actor,
            },
          }),
        {
          uniqueViolation: () =>
            new BadRequestError(`Index ${JSON.stringify(input.index_name)} already exists.`, { param: "index_name", code: "index_exists" }),
        },
      );
      return toVirtualIndex(row);
    },

    async get(name) {
      if (hasNul(name)) return null;
      const row = await run(() => prisma.virtualIndex.findUnique({ where: { index_name: name } }));
      return row === null ? null : toVirtualIndex(row);
    },

    async getMany(rawNames) {
      const names = rawNames.filter((name) => !hasNul(name));
      if (names.length === 0) return [];
      const rows = await run(() => prisma.virtualIndex.findMany({ where: { index_name: { in: [...new Set(names)] } }, orderBy: { index_name: "asc" } }));
      return rows.map(toVirtualIndex);
    },

    async list() {
      const rows = await run(() => prisma.virtualIndex.findMany({ orderBy: { index_name: "asc" } }));
      return rows.map(toVirtualIndex);
    },

    async delete(name) {
      parseInput(indexNameSchema, name, { what: "index name", prefix: "index_name" });
      const result = await run(() => prisma.virtualIndex.deleteMany({ where: { index_name: name } }));
      return result.count > 0;
    },
  };

  const spendWhere = (filter: Omit<SpendFilter, "limit">): Prisma.SpendLogWhereInput => ({
    ...(filter.keyHash === undefined ? {} : { key_hash: filter.keyHash }),
    ...(filter.since === undefined && filter.until === undefined
      ? {}
      : { created_at: { ...(filter.since === undefined ? {} : { gte: filter.since }), ...(filter.until === undefined ? {} : { lt: filter.until }) } }),
  });

  type ParsedSpendRow = z.output<typeof spendRowInputSchema> & { id: string };

  // One statement with one array per column: far cheaper than createMany's per-row query building, which matters
  // most on the embedded PGlite, where every statement runs on the proxy's own event loop. Ids are the caller's,
  // and a repeated id is skipped, so a batch that failed half-way can be sent again. The same statement adds the
  // cost of the rows it inserted (only those: a retried row is not counted twice) to each key's budget window, and
  // answers the windows whose spend crossed the key's soft or max budget with these rows: exactly one writer sees it.
  const insertSpendRows = (rows: ParsedSpendRow[], now: Date) => {
    const column = <T>(pick: (row: ParsedSpendRow) => T) => rows.map(pick);
    return run(() =>
      prisma.$queryRawUnsafe<
        Array<{
          token: string;
          key_alias: string | null;
          spend_usd: number;
          soft_budget: number | null;
          max_budget: number | null;
          crossed_soft: boolean;
          crossed_max: boolean;
        }>
      >(
        `WITH inserted AS (
           INSERT INTO vs_spend_logs (id, request_id, created_at, key_hash, key_alias, route, vector_store, index_name, status_code, latency_ms, embedding_tokens, embedding_cost_usd, search_cost_usd, result_count, error_code)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::int[], $12::float8[], $13::float8[], $14::int[], $15::text[])
           ON CONFLICT (id) DO NOTHING
           RETURNING key_hash, created_at, embedding_cost_usd + search_cost_usd AS cost
         ), per_window AS (
           SELECT t.token,
                  CASE WHEN t.budget_duration_ms IS NULL THEN COALESCE(t.budget_started_at, t.created_at)
                       ELSE COALESCE(t.budget_started_at, t.created_at) + floor(extract(epoch FROM (i.created_at - COALESCE(t.budget_started_at, t.created_at))) * 1000 / t.budget_duration_ms) * t.budget_duration_ms * interval '1 millisecond'
                  END AS window_start,
                  sum(i.cost) AS cost
           FROM inserted i JOIN vs_verification_tokens t ON t.token = i.key_hash
           WHERE i.cost > 0
           GROUP BY 1, 2
         ), added AS (
           INSERT INTO vs_key_spend_windows (token, window_start, spend_usd)
           SELECT token, window_start, cost FROM per_window
           ON CONFLICT (token, window_start) DO UPDATE SET spend_usd = vs_key_spend_windows.spend_usd + EXCLUDED.spend_usd
           RETURNING token, window_start, spend_usd
         )
         SELECT a.token, t.key_alias, a.spend_usd, t.soft_budget, t.max_budget,
                COALESCE(a.spend_usd >= t.soft_budget AND a.spend_usd - p.cost < t.soft_budget, false) AS crossed_soft,
                COALESCE(a.spend_usd >= t.max_budget AND a.spend_usd - p.cost < t.max_budget, false) AS crossed_max
         FROM added a JOIN per_window p USING (token, window_start) JOIN vs_verification_tokens t ON t.token = a.token
         WHERE (a.spend_usd >= t.soft_budget AND a.spend_usd - p.cost < t.soft_budget) OR (a.spend_usd >= t.max_budget AND a.spend_usd - p.cost < t.max_budget)`,
        column((row) => row.id),
        column((row) => row.request_id),
        column((row) => (row.created_at === undefined ? now : new Date(row.created_at)).toISOString()),
        column((row) => row.key_hash ?? null),
        column((row) => row.key_alias ?? null),
        column((row) => row.route),
        column((row) => row.vector_store ?? null),
        column((row) => row.index_name ?? null),
        column((row) => row.status_code),
        column((row) => row.latency_ms),
        column((row) => row.embedding_tokens),
        column((row) => row.embedding_cost_usd),
        column((row) => row.search_cost_usd),
        column((row) => row.result_count ?? null),
        column((row) => row.error_code ?? null),
      ),
    ).then((crossings) =>
      crossings.flatMap((crossing): BudgetCrossing[] => [
        ...(crossing.crossed_soft
          ? [
              {
                token: crossing.token,
                key_alias: crossing.key_alias,
                budget: "soft_budget" as const,
                limit_usd: Number(crossing.soft_budget),
                spend_usd: Number(crossing.spend_usd),
              },
            ]
          : []),
        ...(crossing.crossed_max
          ? [
              {
                token: crossing.token,
                key_alias: crossing.key_alias,
                budget: "max_budget" as const,
                limit_usd: Number(crossing.max_budget),
                spend_usd: Number(crossing.spend_usd),
              },
            ]
          : []),
      ]),
    );
  };
  const databaseAnswers = () =>
    run(() => prisma.$queryRaw`SELECT 1`).then(
      () => true,
      () => false,
    );

  const spend: SpendStore = {
    async record(rawRows) {
      const rows: ParsedSpendRow[] = [];
      const rejected: SpendRowRejection[] = [];
      for (const [position, raw] of rawRows.entries()) {
        const parsed = spendRowInputSchema.safeParse(raw);
        if (parsed.success) rows.push({ ...parsed.data, id: parsed.data.id ?? crypto.randomUUID() });
        else rejected.push({ request_id: requestIdOf(raw), reason: describeIssues(parsed.error, `rows[${position}]`).message });
      }
      if (rows.length === 0) return { written: 0, rejected, budgetCrossings: [] };
      const now = clock();
      const budgetCrossings: BudgetCrossing[] = [];
      try {
        budgetCrossings.push(...(await insertSpendRows(rows, now)));
        return { written: rows.length, rejected, budgetCrossings };
      } catch (batchError) {
        // A database that answers refused something in the rows: find which, one row at a time, so a bad row
        // costs only itself. A database that does not answer is an outage: the caller keeps the rows and retries.
        if (!(await databaseAnswers())) throw batchError;
      }
      let written = 0;
      for (const row of rows) {
        try {
          budgetCrossings.push(...(await insertSpendRows([row], now)));
          written++;
        } catch (error) {
          if (!(await databaseAnswers())) throw error;
          rejected.push({ request_id: row.request_id, reason: databaseRefusal(error) });
        }
      }
      return { written, rejected, budgetCrossings };
    },

    async list(rawFilter = {}) {
      const filter = parseInput(spendFilterSchema, rawFilter, { what: "spend filter" });
      const rows = await run(() =>
        prisma.spendLog.findMany({ where: spendWhere(filter), orderBy: [{ created_at: "desc" }, { id: "asc" }], take: filter.limit ?? 100 }),
      );
      return rows satisfies SpendRow[];
    },

    async summary(rawFilter = {}) {
      const filter = parseInput(spendFilterSchema.omit({ limit: true }), rawFilter, { what: "spend filter" });
      const result = await run(() =>
        prisma.spendLog.aggregate({
          where: spendWhere(filter),
          _count: { _all: true },
          _sum: { embedding_tokens: true, embedding_cost_usd: true, search_cost_usd: true },
        }),
      );
      return {
        requests: result._count._all,
        embedding_tokens: result._sum.embedding_tokens ?? 0,
        cost_usd: (result._sum.embedding_cost_usd ?? 0) + (result._sum.search_cost_usd ?? 0),
      };
    },
  };

  return {
    kind,
    database: { kind, prisma, driver },
    keys,
    indexes,
    spend,
    rateLimits: createPostgresRateLimits(prisma, run),
    budgets: createPostgresBudgets(prisma, run),
    async ping() {
      await run(() => prisma.$queryRaw`SELECT 1`);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await prisma.$disconnect();
      } finally {
        await close();
      }
    },
  };
}
