import {
  BadRequestError,
  UpstreamError,
  UpstreamTimeoutError,
  VsError,
  raceAbort,
  type AttributeValue,
  type CallOptions,
  type ProviderStoreTarget,
  type StoreLayout,
  type StoredChunk,
  type VectorStoreWriter,
} from "@vs/core";
import { describedCollectionSchema, type DescribedCollection } from "./milvus-api.js";
import { milvusErrorFromResponse } from "./milvus-error.js";
import {
  checkLayout,
  compareExistingLayout,
  hasOrphanSparseField,
  type ExistingLayout,
  managedCreateBody,
  managedRow,
  MANAGED_FIELDS,
  MANAGED_MAX_BYTES,
  MANAGED_SCHEMA_VERSION,
  milvusMetric,
} from "./milvus-managed.js";
import { DEFAULT_MILVUS_TIMEOUT_MS, MILVUS_MAX_TOP_K, type MilvusOptions } from "./milvus-options.js";
import type { CollectionFactsCache, CollectionKey } from "./milvus-search.js";
import { isMilvusSuccess, type MilvusResponse, type MilvusTransport } from "./milvus-transport.js";
import { MilvusErrorCode } from "./milvus-vocabulary.js";

/** Rows per `entities/upsert` call, and the JSON size one call may reach (vectors of 3072 floats are ~60 KB each). */
export const UPSERT_MAX_ROWS = 500;
export const UPSERT_MAX_BYTES = 4 * 1024 * 1024;
/** Chunk positions read per `entities/query` when attributes are rewritten (rows carry their vectors). */
const ATTRIBUTE_WINDOW = 256;
const LOAD_POLL_MS = 100;

// A Milvus that cannot build the BM25 function or the analyzer (before 2.5) names one of these in its refusal.
const FULL_TEXT_UNSUPPORTED = /bm25|function|analyzer|sparse/i;
const ALREADY_EXISTS = /already exists|file exists/i;
/** Milvus's code for an index that already exists (merr ErrIndexDuplicate). */
const INDEX_DUPLICATE = 702;

export interface MilvusWriterContext {
  connectionFor(options: MilvusOptions): { transport: MilvusTransport; connectionKey: string };
  /** The provider's collection facts: forgotten when a store is created or dropped. */
  collections: CollectionFactsCache;
}

/**
 * The write side over a `MilvusTransport` (REST v2 bodies; the gRPC transport translates them for Milvus Lite).
 * Collections have the managed layout of milvus-managed.ts. Consistency: the collection's default level is Strong
 * and searches of managed stores ask for Strong, so a search issued after a write resolved sees it; no flush is
 * needed (flushing only seals segments, and Milvus rate-limits it).
 */
export function createMilvusWriter(context: MilvusWriterContext): VectorStoreWriter<MilvusOptions> {
  return {
    optionsForCreatedStore(template: MilvusOptions, layout: StoreLayout): MilvusOptions {
      const options: MilvusOptions = {};
      // The connection only: the template's search knobs were written for other collections.
      if (template.api_base !== undefined) options.api_base = template.api_base;
      if (template.api_key !== undefined) options.api_key = template.api_key;
      if (template.transport !== undefined) options.transport = template.transport;
      if (template.dbName !== undefined) options.dbName = template.dbName;
      if (template.timeout_ms !== undefined) options.timeout_ms = template.timeout_ms;
      options.milvus_text_field = MANAGED_FIELDS.text;
      options.annsField = MANAGED_FIELDS.vector;
      // Known from the layout: a search need not describe the collection to learn it.
      options.searchParams = { metricType: milvusMetric(layout.metric) };
      options.managed_schema = MANAGED_SCHEMA_VERSION;
      return options;
    },

    async createStore(target, layout, callOptions = {}) {
      checkLayout(layout);
      const session = new Session(context, target, callOptions);
      try {
        if (!(await session.exists())) await createCollection(session, layout);
        await ensureLayout(session, layout);
      } finally {
        session.forgetFacts();
      }
    },

    async upsertChunks(target, chunks, callOptions = {}) {
      chunks.forEach(checkChunk);
      const session = new Session(context, target, callOptions);
      for (const batch of upsertBatches(chunks.map(managedRow))) {
        await session.call("entities/upsert", { ...session.base, data: batch }, `write ${batch.length} chunks`);
      }
    },

    async deleteFileChunks(target, fileId, callOptions = {}) {
      checkFileId(fileId, "file_id");
      const session = new Session(context, target, callOptions);
      await session.call(
        "entities/delete",
        { ...session.base, filter: `${MANAGED_FIELDS.fileId} == {file_id}`, exprParams: { file_id: fileId } },
        `delete the chunks of file "${fileId}"`,
      );
    },

    async updateFileAttributes(target, fileId, attributes, callOptions = {}) {
      checkFileId(fileId, "file_id");
      checkAttributes(attributes, "attributes");
      const session = new Session(context, target, callOptions);
      await rewriteAttributes(session, fileId, attributes);
    },

    async dropStore(target, callOptions = {}) {
      const session = new Session(context, target, callOptions);
      try {
        const answer = await session.raw("collections/drop", session.base);
        if (!isMilvusSuccess(answer.code) && !isCollectionNotFound(answer))
          throw milvusErrorFromResponse(answer, { operation: `drop collection "${target.vectorStoreId}"` });
      } finally {
        session.forgetFacts();
      }
    },
  };
}

/** One operation on one store: its transport, body base, and time budget (each call gets the store's timeout). */
class Session {
  readonly base: Record<string, unknown>;
  private readonly transport: MilvusTransport;
  private readonly key: CollectionKey;
  private readonly settings: { signal: AbortSignal | undefined; timeoutMs: number };

  constructor(
    private readonly context: MilvusWriterContext,
    readonly target: ProviderStoreTarget<MilvusOptions>,
    callOptions: CallOptions,
  ) {
    const { transport, connectionKey } = context.connectionFor(target.options);
    this.transport = transport;
    this.base = { collectionName: target.vectorStoreId };
    if (target.options.dbName !== undefined) this.base.dbName = target.options.dbName;
    this.key = { connectionKey, dbName: target.options.dbName, collectionName: target.vectorStoreId };
    this.settings = { signal: callOptions.signal, timeoutMs: target.options.timeout_ms ?? DEFAULT_MILVUS_TIMEOUT_MS };
  }

  get name(): string {
    return this.target.vectorStoreId;
  }

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  get signal(): AbortSignal | undefined {
    return this.settings.signal;
  }

  raw(endpoint: string, body: Record<string, unknown>): Promise<MilvusResponse> {
    return this.transport.call(endpoint, body, this.settings);
  }

  async call(endpoint: string, body: Record<string, unknown>, what: string): Promise<MilvusResponse> {
    const answer = await this.raw(endpoint, body);
    if (!isMilvusSuccess(answer.code)) throw milvusErrorFromResponse(answer, { operation: `${what} in collection "${this.name}"` });
    return answer;
  }

  async exists(): Promise<boolean> {
    const answer = await this.call("collections/has", this.base, "check");
    const has = (answer.data as { has?: unknown } | undefined)?.has;
    if (typeof has !== "boolean")
      throw new UpstreamError({ upstream: "vector_store", message: `The vector store's answer to collections/has for "${this.name}" has no boolean "has".` });
    return has;
  }

  async describe(): Promise<DescribedCollection> {
    const answer = await this.call("collections/describe", this.base, "describe");
    const parsed = describedCollectionSchema.safeParse(answer.data);
    if (!parsed.success)
      throw new UpstreamError({ upstream: "vector_store", message: `The vector store's description of collection "${this.name}" has an unexpected shape.` });
    return parsed.data;
  }

  forgetFacts(): void {
    this.context.collections.forget(this.key);
  }
}

async function createCollection(session: Session, layout: StoreLayout): Promise<void> {
  const fullText = layout.fullText === true;
  const answer = await session.raw("collections/create", managedCreateBody(session.name, session.target.options.dbName, layout, fullText));
  if (isMilvusSuccess(answer.code)) return;
  const refusedFullText = fullText && FULL_TEXT_UNSUPPORTED.test(answer.message ?? "");
  // A concurrent creation Milvus Lite has not registered yet: "File exists" while collections/has still says no.
  const racing = ALREADY_EXISTS.test(answer.message ?? "");
  if ((await session.exists()) || (racing && (await appears(session)))) {
    // Usually another job created it meanwhile (ensureLayout then checks what it made, and finishes a half-made one).
    // A Milvus without BM25 functions may instead have made the sparse field alone: that collection serves nothing,
    // and no concurrent creator can have made it, so it is replaced by one without full text.
    if (!refusedFullText || !hasOrphanSparseField(await session.describe())) return;
    await session.call("collections/drop", session.base, "remove the collection made without its BM25 function");
  } else if (!refusedFullText) {
    throw milvusErrorFromResponse(answer, { operation: `create collection "${session.name}"` });
  }
  // Full text is "where the engine can": without it the store still serves dense searches.
  await session.call("collections/create", managedCreateBody(session.name, session.target.options.dbName, layout, false), "create");
}

/** Whether the collection shows up within a few polls (another creator finishing). */
async function appears(session: Session): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await raceAbort(new Promise<void>((resolve) => setTimeout(resolve, LOAD_POLL_MS)), session.signal);
    if (await session.exists()) return true;
  }
  return false;
}

/** The collection must have the layout; indexes a crash left out are created, then it is loaded. */
async function ensureLayout(session: Session, layout: StoreLayout): Promise<void> {
  let existing = await existingLayout(session, layout);
  if (existing.missingIndexes.length > 0) {
    for (const index of existing.missingIndexes) {
      const answer = await session.raw("indexes/create", { ...session.base, indexParams: [index] });
      // A concurrent creation indexed the field first: what it made is checked below.
      if (!isMilvusSuccess(answer.code) && answer.code !== INDEX_DUPLICATE && !ALREADY_EXISTS.test(answer.message ?? "")) {
        throw milvusErrorFromResponse(answer, { operation: `create indexes in collection "${session.name}"` });
      }
    }
    existing = await existingLayout(session, layout);
    if (existing.missingIndexes.length > 0)
      throw new UpstreamError({ upstream: "vector_store", message: `Milvus collection "${session.name}" still lacks an index after creating it.` });
  }
  await session.call("collections/load", session.base, "load");
  await waitUntilLoaded(session);
}

async function existingLayout(session: Session, layout: StoreLayout): Promise<ExistingLayout> {
  const existing = compareExistingLayout(await session.describe(), layout);
  if (existing.conflict === undefined) return existing;
  throw new VsError({
    status: 409,
    code: "vector_store_layout_conflict",
    type: "invalid_request_error",
    param: "vector_store_id",
    message: `Milvus collection "${session.name}" already exists with another layout: ${existing.conflict}.`,
  });
}

/** `collections/load` only starts loading; a search before it ends fails, so createStore waits for it. */
async function waitUntilLoaded(session: Session): Promise<void> {
  const deadline = Date.now() + session.timeoutMs;
  for (;;) {
    const answer = await session.call("collections/get_load_state", session.base, "read the load state");
    const state = (answer.data as { loadState?: unknown } | undefined)?.loadState;
    if (state === "LoadStateLoaded") return;
    if (state !== "LoadStateLoading" && state !== "LoadStateNotLoad") {
      throw new UpstreamError({
        upstream: "vector_store",
        message: `Milvus collection "${session.name}" reports the load state ${String(state)} after being loaded.`,
      });
    }
    if (Date.now() + LOAD_POLL_MS > deadline) throw new UpstreamTimeoutError("vector_store", session.timeoutMs);
    await raceAbort(new Promise<void>((resolve) => setTimeout(resolve, LOAD_POLL_MS)), session.signal);
  }
}

/**
 * Milvus rewrites whole rows: the file's rows are read window by window of chunk positions (with their vectors) and
 * upserted with the new attributes. The count read first says when every row was seen.
 */
async function rewriteAttributes(session: Session, fileId: string, attributes: Record<string, AttributeValue>): Promise<void> {
  const f = MANAGED_FIELDS;
  const counted = await session.call(
    "entities/query",
    { ...session.base, filter: `${f.fileId} == {file_id}`, exprParams: { file_id: fileId }, outputFields: ["count(*)"], consistencyLevel: "Strong" },
    `count the chunks of file "${fileId}"`,
  );
  const total = Number((counted.data as Array<Record<string, unknown>> | undefined)?.[0]?.["count(*)"] ?? Number.NaN);
  if (!Number.isInteger(total) || total < 0)
    throw new UpstreamError({ upstream: "vector_store", message: `The vector store's count of the chunks of file "${fileId}" is not a number.` });

  let seen = 0;
  let emptyWindows = 0;
  for (let start = 0; seen < total; start += ATTRIBUTE_WINDOW) {
    const answer = await session.call(
      "entities/query",
      {
        ...session.base,
        filter: `${f.fileId} == {file_id} and ${f.chunkIndex} >= {from} and ${f.chunkIndex} < {to}`,
        exprParams: { file_id: fileId, from: start, to: start + ATTRIBUTE_WINDOW },
        outputFields: [f.id, f.text, f.vector, f.fileId, f.filename, f.chunkIndex],
        limit: MILVUS_MAX_TOP_K,
        consistencyLevel: "Strong",
      },
      `read the chunks of file "${fileId}"`,
    );
    const rows = Array.isArray(answer.data) ? (answer.data as Array<Record<string, unknown>>) : [];
    if (rows.length === 0) {
      // Positions are 0..n-1; a long run of empty windows means rows the count saw are beyond reach.
      emptyWindows += 1;
      if (emptyWindows > 64)
        throw new UpstreamError({
          upstream: "vector_store",
          message: `Could not find all ${total} chunks of file "${fileId}" to update their attributes (found ${seen}).`,
        });
      continue;
    }
    emptyWindows = 0;
    seen += rows.length;
    const rewritten = rows.map((row) => ({
      [f.id]: row[f.id],
      [f.text]: row[f.text],
      [f.vector]: row[f.vector],
      [f.fileId]: row[f.fileId],
      [f.filename]: row[f.filename],
      [f.chunkIndex]: row[f.chunkIndex],
      [f.attributes]: attributes,
    }));
    for (const batch of upsertBatches(rewritten))
      await session.call("entities/upsert", { ...session.base, data: batch }, `rewrite the attributes of file "${fileId}"`);
  }
}

/** Rows in calls of at most UPSERT_MAX_ROWS rows and about UPSERT_MAX_BYTES of JSON (a single larger row goes alone). */
export function upsertBatches<Row>(rows: Row[], maxRows = UPSERT_MAX_ROWS, maxBytes = UPSERT_MAX_BYTES): Row[][] {
  const batches: Row[][] = [];
  let batch: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length;
    if (batch.length > 0 && (batch.length >= maxRows || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const utf8 = new TextEncoder();

function checkBytes(value: string, maxBytes: number, param: string, what: string): void {
  // Cheap bound first: a UTF-8 character takes at most 3 bytes per UTF-16 unit.
  if (value.length * 3 <= maxBytes) return;
  const bytes = utf8.encode(value).length;
  if (bytes > maxBytes) throw new BadRequestError(`${param}: ${what} is ${bytes} bytes of UTF-8; Milvus stores at most ${maxBytes}.`, { param });
}

function checkFileId(fileId: string, param: string): void {
  if (fileId === "") throw new BadRequestError(`${param}: must not be empty.`, { param });
  checkBytes(fileId, MANAGED_MAX_BYTES.fileId, param, "the file id");
}

function checkChunk(chunk: StoredChunk, index: number): void {
  const at = (field: string) => `chunks[${index}].${field}`;
  if (chunk.id === "") throw new BadRequestError(`${at("id")}: must not be empty.`, { param: at("id") });
  checkBytes(chunk.id, MANAGED_MAX_BYTES.id, at("id"), "the chunk id");
  checkFileId(chunk.fileId, at("fileId"));
  checkBytes(chunk.filename, MANAGED_MAX_BYTES.filename, at("filename"), "the filename");
  checkBytes(chunk.text, MANAGED_MAX_BYTES.text, at("text"), "the chunk text");
  if (!Number.isSafeInteger(chunk.chunkIndex) || chunk.chunkIndex < 0)
    throw new BadRequestError(`${at("chunkIndex")}: must be a non-negative integer.`, { param: at("chunkIndex") });
  if (chunk.vector.length === 0 || !chunk.vector.every(Number.isFinite)) {
    throw new BadRequestError(`${at("vector")}: must be a non-empty list of finite numbers.`, { param: at("vector") });
  }
  checkAttributes(chunk.attributes, at("attributes"));
}

function checkAttributes(attributes: Record<string, AttributeValue>, param: string): void {
  for (const [key, value] of Object.entries(attributes)) {
    const valid = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    if (!valid) throw new BadRequestError(`${param}.${key}: must be a string, a finite number or a boolean.`, { param: `${param}.${key}` });
  }
}

function isCollectionNotFound(answer: MilvusResponse): boolean {
  return answer.code === MilvusErrorCode.collectionNotFound || milvusErrorFromResponse(answer).status === 404;
}
