import { AuthPrisma, type AuthStore } from "@vs/auth";
import { BadRequestError, NotFoundError, parseInput, type AttributeValue, type StoreLayout } from "@vs/core";
import { chunkText, parseFile, resolveChunkingStrategy, type ChunkingStrategyInput } from "@vs/ingest";
import { missingTemplate, writerOf, type EmbeddingModels, type PreparedStoreLike, type StoreTemplates } from "./engine.js";
import { newId } from "./ids.js";
import type { IngestionQueue } from "./ingestion-queue.js";
import {
  emptyCounts,
  unixSeconds,
  type DeletedObject,
  type FileContentPage,
  type ExpiresAfter,
  type FileBatchObject,
  type FileCounts,
  type FileError,
  type FileObject,
  type ListPage,
  type StaticChunkingStrategy,
  type VectorStoreFileObject,
  type VectorStoreObject,
} from "./objects.js";
import {
  attachFileInputSchema,
  createFileBatchInputSchema,
  createVectorStoreInputSchema,
  filePurposeSchema,
  fileListParamsSchema,
  listParamsSchema,
  storeFileListParamsSchema,
  updateFileAttributesInputSchema,
  updateVectorStoreInputSchema,
  type AttachFileInput,
  type CreateFileBatchInput,
  type CreateVectorStoreInput,
  type FileListParamsInput,
  type ListParams,
  type ListParamsInput,
  type StoreFileListParamsInput,
  type UpdateVectorStoreInput,
  type VectorStoreFileStatus,
} from "./schemas.js";

type Prisma = AuthStore["database"]["prisma"];
type Transaction = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

/** Who asks: a virtual key (its hash, never the key) or the master key (`keyHash: null`). */
export interface Actor {
  keyHash: string | null;
  alias: string | null;
}

export interface UploadedFile {
  bytes: Uint8Array;
  filename: string;
  contentType?: string | undefined;
  purpose: string;
}

export interface StoredFileContent {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
}

/** A store as searches need it: prepared from its template, by id. */
export interface CreatedStore {
  id: string;
  name: string | null;
  prepared: PreparedStoreLike;
  createdByKeyHash: string | null;
  /** When its `expires_after` ran out (ms since the epoch), as of the read; null when it does not expire. */
  expiresAtMs: number | null;
}

/** A search of an expired store: OpenAI answers 400; the store is still there to retrieve, update or delete. */
export function checkNotExpired(store: Pick<CreatedStore, "id" | "expiresAtMs">, now: number = Date.now()): void {
  if (store.expiresAtMs !== null && store.expiresAtMs <= now) {
    throw new BadRequestError(
      `Vector store "${store.id}" expired at ${new Date(store.expiresAtMs).toISOString()} (expires_after counts from its last activity); set a new expires_after on it, or create a new vector store.`,
      { param: "vector_store_id", code: "vector_store_expired" },
    );
  }
}

/** When a store's `expires_after` runs out: `days` after its last activity. */
function expiresAtMs(row: Pick<StoreRow, "expires_after" | "last_active_at">): number | null {
  const expiresAfter = (row.expires_after ?? null) as ExpiresAfter | null;
  return expiresAfter === null ? null : row.last_active_at.getTime() + expiresAfter.days * 86_400_000;
}

interface StoreRow {
  id: string;
  name: string | null;
  description: string | null;
  metadata: unknown;
  provider: string;
  backend_id: string;
  template: string;
  embedding_model: string;
  dimensions: number;
  chunking_strategy: unknown;
  expires_after: unknown;
  last_active_at: Date;
  created_at: Date;
  created_by_key_hash: string | null;
}

interface StoreFileRow {
  vector_store_id: string;
  file_id: string;
  status: string;
  last_error: unknown;
  attributes: unknown;
  chunking_strategy: unknown;
  usage_bytes: number;
  created_at: Date;
}

export interface VectorStoreServiceOptions {
  auth: AuthStore;
  models: EmbeddingModels;
  templates: StoreTemplates;
  queue: IngestionQueue;
  /** Largest file `files.create` keeps. */
  maxFileBytes: number;
  clock?: () => Date;
}

const LAYOUT_METRIC = "cosine" as const;

/**
 * Every store vs creates asks for full-text indexing too (`ranking_options.hybrid_search`); a provider or engine that
 * cannot index text creates the store without it, and a hybrid search of it is then a 400 naming the field.
 */
function storeLayout(dimensions: number): StoreLayout {
  return { dimensions, metric: LAYOUT_METRIC, fullText: true };
}

/**
 * OpenAI's Files and Vector Stores API on the gateway's own stores. State lives in the database (`@vs/auth`'s
 * tables), chunks in the provider's store; the HTTP routes and the SDK are thin layers over this one implementation.
 */
export class VectorStoreService {
  private readonly prisma: Prisma;
  private readonly clock: () => Date;
  private readonly prepared = new Map<string, PreparedStoreLike>();

  constructor(private readonly options: VectorStoreServiceOptions) {
    this.prisma = options.auth.database.prisma;
    this.clock = options.clock ?? (() => new Date());
  }

  // ---------------------------------------------------------------- files

  async createFile(upload: UploadedFile, actor: Actor): Promise<FileObject> {
    const purpose = parseInput(filePurposeSchema, upload.purpose, { prefix: "purpose", what: "purpose" });
    if (upload.filename.trim() === "") throw new BadRequestError("file: the upload has no filename.", { param: "file" });
    if (upload.bytes.byteLength === 0) throw new BadRequestError("file: the file is empty.", { param: "file", code: "empty_file" });
    if (upload.bytes.byteLength > this.options.maxFileBytes) {
      throw new BadRequestError(`file: larger than this gateway's limit of ${this.options.maxFileBytes} bytes.`, { param: "file", code: "file_too_large" });
    }
    const now = this.clock();
    const row = await this.prisma.file.create({
      data: {
        id: newId("file-", now),
        content: Buffer.from(upload.bytes.buffer, upload.bytes.byteOffset, upload.bytes.byteLength) as unknown as Uint8Array<ArrayBuffer>,
        bytes: upload.bytes.byteLength,
        filename: upload.filename,
        content_type: upload.contentType || "application/octet-stream",
        purpose,
        owner_key_hash: actor.keyHash,
        owner_key_alias: actor.alias,
        created_at: now,
      },
      omit: { content: true },
    });
    return toFileObject(row);
  }

  /** The files `actor` uploaded (all of them for the master key). */
  async listFiles(params: FileListParamsInput, actor: Actor): Promise<ListPage<FileObject>> {
    const parsed = parseInput(fileListParamsSchema, params, { what: "list parameters" });
    const rows = await this.prisma.file.findMany({
      where: { ...ownerWhere(actor), ...(parsed.purpose === undefined ? {} : { purpose: parsed.purpose }), ...cursorWhere(parsed) },
      orderBy: { id: fetchOrder(parsed) },
      take: parsed.limit + 1,
      omit: { content: true },
    });
    return page(rows.map(toFileObject), parsed);
  }

  async getFile(id: string, actor: Actor): Promise<FileObject> {
    return toFileObject(await this.fileRow(id, actor, "file_id"));
  }

  async fileContent(id: string, actor: Actor): Promise<StoredFileContent> {
    await this.fileRow(id, actor, "file_id");
    const row = await this.prisma.file.findUnique({ where: { id }, select: { content: true, filename: true, content_type: true } });
    if (!row) throw fileNotFound(id, "file_id");
    return { bytes: row.content, filename: row.filename, contentType: row.content_type };
  }

  /** Deletes the file; stores it was attached to keep their chunks (as OpenAI does) until it is detached from them. */
  async deleteFile(id: string, actor: Actor): Promise<DeletedObject<"file">> {
    await this.fileRow(id, actor, "file_id");
    await this.prisma.file.deleteMany({ where: { id } });
    return { id, object: "file", deleted: true };
  }

  private async fileRow(id: string, actor: Actor, param: string) {
    const row = await this.prisma.file.findUnique({ where: { id }, omit: { content: true } });
    if (!row || (actor.keyHash !== null && row.owner_key_hash !== actor.keyHash)) throw fileNotFound(id, param);
    return row;
  }

  // ---------------------------------------------------------------- vector stores

  /** The registry entry new stores are created from (`vector_store_template: true`), prepared. */
  private template(): { name: string; prepared: PreparedStoreLike } {
    const name = this.options.templates.template;
    const prepared = name === undefined ? undefined : this.options.templates.get(name);
    if (name === undefined || prepared === undefined) {
      throw new BadRequestError(
        "This gateway cannot create vector stores: no vector_store_registry entry is marked `vector_store_template: true` in its config.",
        { code: "vector_store_creation_not_configured" },
      );
    }
    return { name, prepared };
  }

  async createStore(input: CreateVectorStoreInput, actor: Actor): Promise<VectorStoreObject> {
    const parsed = parseInput(createVectorStoreInputSchema, input, { what: "vector store" });
    const { name: templateName, prepared: template } = this.template();
    const where = `vector_store_registry entry "${templateName}"`;
    const writer = writerOf(template, where);
    if (template.embeddingModel === undefined) {
      throw new BadRequestError(`${where} has no litellm_embedding_model, so stores created from it could not be searched.`, {
        code: "vector_store_creation_not_configured",
      });
    }
    const chunking = parsed.chunking_strategy === undefined ? null : resolveChunkingStrategy(parsed.chunking_strategy);
    const files = parsed.file_ids === undefined ? [] : await this.attachableFiles(parsed.file_ids, actor, "file_ids");
    const model = this.options.models.embeddingModel(template.embeddingModel, template.embeddingConfig);
    const dimensions = model.dimensions ?? (await model.embed(["dimensions"], { inputType: "document" })).vectors[0]?.length;
    if (!dimensions)
      throw new BadRequestError(`${where}: its embedding model returned no vector, so a store cannot be laid out for it.`, {
        code: "vector_store_creation_not_configured",
      });

    const now = this.clock();
    const id = newId("vs_", now);
    const layout = storeLayout(dimensions);
    const target = { vectorStoreId: id, options: writer.optionsForCreatedStore(template.options, layout) };
    await writer.createStore(target, layout);
    try {
      await this.prisma.$transaction(async (transaction) => {
        await transaction.vectorStore.create({
          data: {
            id,
            name: parsed.name ?? null,
            description: parsed.description ?? null,
            metadata: parsed.metadata ?? {},
            provider: template.provider.id,
            backend_id: id,
            template: templateName,
            embedding_model: template.embeddingModel!,
            dimensions,
            ...(chunking === null ? {} : { chunking_strategy: chunking }),
            ...(parsed.expires_after == null ? {} : { expires_after: parsed.expires_after }),
            last_active_at: now,
            created_at: now,
            created_by_key_hash: actor.keyHash,
            created_by_alias: actor.alias,
          },
        });
        for (const file of files) {
          await this.attachInTransaction(transaction, id, { fileId: file, attributes: {}, chunking: chunking ?? resolveChunkingStrategy() }, actor, null, now);
        }
      });
    } catch (error) {
      await writer.dropStore(target).catch(() => undefined);
      throw error;
    }
    return this.getStore(id);
  }

  /** `ids`: the stores the caller may see (a virtual key's grants); all when absent. */
  async listStores(params: ListParamsInput, ids?: readonly string[]): Promise<ListPage<VectorStoreObject>> {
    const parsed = parseInput(listParamsSchema, params, { what: "list parameters" });
    const rows = await this.prisma.vectorStore.findMany({
      where: { ...(ids === undefined ? {} : { id: { in: [...ids] } }), ...cursorWhere(parsed) },
      orderBy: { id: fetchOrder(parsed) },
      take: parsed.limit + 1,
    });
    const objects = await Promise.all(rows.map((row) => this.toStoreObject(row)));
    return page(objects, parsed);
  }

  async getStore(id: string): Promise<VectorStoreObject> {
    return this.toStoreObject(await this.storeRow(id));
  }

  /** Null when `id` is not a store created through the API (it may be a registry store). */
  async findStore(id: string): Promise<CreatedStore | null> {
    if (!id.startsWith("vs_")) return null;
    const row = await this.prisma.vectorStore.findUnique({ where: { id } });
    if (!row) return null;
    return { id: row.id, name: row.name, prepared: this.preparedFor(row), createdByKeyHash: row.created_by_key_hash, expiresAtMs: expiresAtMs(row) };
  }

  async updateStore(id: string, input: UpdateVectorStoreInput): Promise<VectorStoreObject> {
    const parsed = parseInput(updateVectorStoreInputSchema, input, { what: "vector store update" });
    await this.storeRow(id);
    await this.prisma.vectorStore.update({
      where: { id },
      data: {
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(parsed.metadata === undefined ? {} : { metadata: parsed.metadata ?? {} }),
        ...(parsed.expires_after === undefined
          ? {}
          : parsed.expires_after === null
            ? { expires_after: AuthPrisma.DbNull }
            : { expires_after: parsed.expires_after }),
      },
    });
    return this.getStore(id);
  }

  /** Drops what the gateway created in the backend, then forgets the store (its files, batches and pending jobs). */
  async deleteStore(id: string): Promise<DeletedObject<"vector_store.deleted">> {
    const row = await this.storeRow(id);
    const prepared = this.preparedFor(row);
    await writerOf(prepared, `vector store ${id}`).dropStore({ vectorStoreId: prepared.vectorStoreId, options: prepared.options });
    await this.prisma.vectorStore.deleteMany({ where: { id } });
    this.prepared.delete(id);
    return { id, object: "vector_store.deleted", deleted: true };
  }

  /**
   * Deletes the stores whose `expires_after` ran out more than `graceMs` ago, with what vs created for them in the
   * backend (as `deleteStore`). Until then an expired store answers `status: "expired"`, refuses searches, and can
   * still be given a new `expires_after`. Safe in several processes at once: a store another one deleted is skipped.
   * Returns the ids deleted.
   */
  async sweepExpiredStores(graceMs: number): Promise<string[]> {
    const now = this.clock().getTime();
    // `days` is at least 1, so nothing active within the last day plus the grace can be due.
    const candidates = await this.prisma.vectorStore.findMany({
      where: { expires_after: { not: AuthPrisma.DbNull }, last_active_at: { lt: new Date(now - 86_400_000 - graceMs) } },
      select: { id: true, expires_after: true, last_active_at: true },
    });
    const deleted: string[] = [];
    for (const candidate of candidates) {
      const expiresAt = expiresAtMs(candidate);
      if (expiresAt === null || expiresAt + graceMs > now) continue;
      try {
        await this.deleteStore(candidate.id);
        deleted.push(candidate.id);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return deleted;
  }

  /** Records a search (OpenAI's `last_active_at`, which `expires_after` counts from). */
  async touchStore(id: string): Promise<void> {
    await this.prisma.vectorStore.updateMany({ where: { id }, data: { last_active_at: this.clock() } });
  }

  private async storeRow(id: string): Promise<StoreRow> {
    const row = id.startsWith("vs_") ? await this.prisma.vectorStore.findUnique({ where: { id } }) : null;
    if (!row) throw new NotFoundError(`No vector store with id "${id}".`, { param: "vector_store_id", code: "vector_store_not_found" });
    return row;
  }

  /** The prepared store of a created store: its template's connection, with the provider's options for a created store. */
  preparedFor(row: Pick<StoreRow, "id" | "template" | "backend_id" | "dimensions" | "embedding_model">): PreparedStoreLike {
    const cached = this.prepared.get(row.id);
    if (cached) return cached;
    const template = this.options.templates.get(row.template);
    if (!template) throw missingTemplate(row.template, row.id);
    const layout = storeLayout(row.dimensions);
    const prepared: PreparedStoreLike = {
      provider: template.provider,
      vectorStoreId: row.backend_id,
      options: writerOf(template, `vector_store_registry entry "${row.template}"`).optionsForCreatedStore(template.options, layout),
      embeddingModel: row.embedding_model,
      embeddingConfig: template.embeddingConfig,
    };
    this.prepared.set(row.id, prepared);
    return prepared;
  }

  private async counts(where: { vector_store_id: string } | { batch_id: string }): Promise<{ counts: FileCounts; usageBytes: number }> {
    const groups = await this.prisma.vectorStoreFile.groupBy({ by: ["status"], where, _count: { _all: true }, _sum: { usage_bytes: true } });
    const counts = emptyCounts();
    let usageBytes = 0;
    for (const group of groups) {
      const count = group._count._all;
      if (group.status in counts) counts[group.status as keyof FileCounts] += count;
      counts.total += count;
      usageBytes += group._sum.usage_bytes ?? 0;
    }
    return { counts, usageBytes };
  }

  private async toStoreObject(row: StoreRow): Promise<VectorStoreObject> {
    const { counts, usageBytes } = await this.counts({ vector_store_id: row.id });
    const expiresAfter = (row.expires_after ?? null) as ExpiresAfter | null;
    const expiresAtMsValue = expiresAtMs(row);
    const expiresAt = expiresAtMsValue === null ? null : Math.floor(expiresAtMsValue / 1000);
    const expired = expiresAtMsValue !== null && expiresAtMsValue <= this.clock().getTime();
    return {
      id: row.id,
      object: "vector_store",
      created_at: unixSeconds(row.created_at),
      name: row.name,
      description: row.description,
      usage_bytes: usageBytes,
      file_counts: counts,
      status: expired ? "expired" : counts.in_progress > 0 ? "in_progress" : "completed",
      expires_after: expiresAfter,
      expires_at: expiresAt,
      last_active_at: unixSeconds(row.last_active_at),
      metadata: (row.metadata ?? {}) as Record<string, string>,
    };
  }

  // ---------------------------------------------------------------- vector store files

  async attachFile(storeId: string, input: AttachFileInput, actor: Actor): Promise<VectorStoreFileObject> {
    const parsed = parseInput(attachFileInputSchema, input, { what: "vector store file" });
    const store = await this.storeRow(storeId);
    const [fileId] = await this.attachableFiles([parsed.file_id], actor, "file_id");
    const chunking = this.chunkingFor(store, parsed.chunking_strategy);
    await this.prisma.$transaction((transaction) =>
      this.attachInTransaction(transaction, storeId, { fileId: fileId!, attributes: parsed.attributes ?? {}, chunking }, actor, null, this.clock()),
    );
    return this.getStoreFile(storeId, fileId!);
  }

  async listStoreFiles(storeId: string, params: StoreFileListParamsInput): Promise<ListPage<VectorStoreFileObject>> {
    const parsed = parseInput(storeFileListParamsSchema, params, { what: "list parameters" });
    await this.storeRow(storeId);
    return this.listFileRows({ vector_store_id: storeId }, parsed);
  }

  async getStoreFile(storeId: string, fileId: string): Promise<VectorStoreFileObject> {
    return toStoreFileObject(await this.storeFileRow(storeId, fileId));
  }

  /** Rewrites the attributes in the database and on every chunk already written. */
  async updateStoreFile(storeId: string, fileId: string, input: { attributes: Record<string, AttributeValue> | null }): Promise<VectorStoreFileObject> {
    const parsed = parseInput(updateFileAttributesInputSchema, input, { what: "vector store file update" });
    const store = await this.storeRow(storeId);
    await this.storeFileRow(storeId, fileId);
    const attributes = parsed.attributes ?? {};
    await this.prisma.vectorStoreFile.update({
      where: { vector_store_id_file_id: { vector_store_id: storeId, file_id: fileId } },
      data: { attributes, updated_at: this.clock() },
    });
    const prepared = this.preparedFor(store);
    const writer = writerOf(prepared, `vector store ${storeId}`);
    if (!writer.updateFileAttributes) {
      throw new BadRequestError(`The ${prepared.provider.id} provider cannot rewrite attributes of written chunks; detach and attach the file again.`, {
        param: "attributes",
        code: "unsupported_operation",
      });
    }
    await writer.updateFileAttributes({ vectorStoreId: prepared.vectorStoreId, options: prepared.options }, fileId, attributes);
    return this.getStoreFile(storeId, fileId);
  }

  /** Detaches the file: its row goes first (a running ingestion then stops and cleans up), then its chunks. */
  async detachFile(storeId: string, fileId: string): Promise<DeletedObject<"vector_store.file.deleted">> {
    const store = await this.storeRow(storeId);
    await this.storeFileRow(storeId, fileId);
    await this.prisma.vectorStoreFile.deleteMany({ where: { vector_store_id: storeId, file_id: fileId } });
    const prepared = this.preparedFor(store);
    await writerOf(prepared, `vector store ${storeId}`).deleteFileChunks({ vectorStoreId: prepared.vectorStoreId, options: prepared.options }, fileId);
    return { id: fileId, object: "vector_store.file.deleted", deleted: true };
  }

  /**
   * The chunks of an ingested file, as they were indexed: parsing and chunking are deterministic, so they are
   * recomputed from the kept bytes with the attachment's strategy rather than read back from the vector store.
   */
  async storeFileContent(storeId: string, fileId: string): Promise<FileContentPage> {
    const row = await this.storeFileRow(storeId, fileId);
    if (row.status !== "completed") {
      throw new BadRequestError(`File "${fileId}" is ${row.status} in vector store "${storeId}"; its content is available once it is completed.`, {
        param: "file_id",
        code: "vector_store_file_not_ready",
      });
    }
    const file = await this.prisma.file.findUnique({ where: { id: fileId }, select: { content: true, filename: true, content_type: true } });
    if (!file) throw fileNotFound(fileId, "file_id");
    const parsed = await parseFile({ bytes: file.content, filename: file.filename, contentType: file.content_type });
    const chunks = chunkText(parsed.text, row.chunking_strategy as StaticChunkingStrategy);
    return { object: "vector_store.file_content.page", data: chunks.map((chunk) => ({ type: "text", text: chunk.text })), has_more: false, next_page: null };
  }

  private async storeFileRow(storeId: string, fileId: string): Promise<StoreFileRow> {
    const row = await this.prisma.vectorStoreFile.findUnique({ where: { vector_store_id_file_id: { vector_store_id: storeId, file_id: fileId } } });
    if (!row) throw new NotFoundError(`No file "${fileId}" in vector store "${storeId}".`, { param: "file_id", code: "vector_store_file_not_found" });
    return row;
  }

  private async listFileRows(
    where: { vector_store_id: string; batch_id?: string },
    parsed: ListParams & { filter?: VectorStoreFileStatus | undefined },
  ): Promise<ListPage<VectorStoreFileObject>> {
    const cursor = cursorWhere(parsed).id;
    const rows = await this.prisma.vectorStoreFile.findMany({
      where: { ...where, ...(parsed.filter === undefined ? {} : { status: parsed.filter }), ...(cursor === undefined ? {} : { file_id: cursor }) },
      orderBy: { file_id: fetchOrder(parsed) },
      take: parsed.limit + 1,
    });
    return page(rows.map(toStoreFileObject), parsed);
  }

  private chunkingFor(store: StoreRow, input: ChunkingStrategyInput | undefined): StaticChunkingStrategy {
    if (input !== undefined) return resolveChunkingStrategy(input);
    return (store.chunking_strategy as StaticChunkingStrategy | null) ?? resolveChunkingStrategy();
  }

  /** Every id must be a file the actor may use, uploaded for `assistants`; errors name the field (`file_ids[2]`). */
  private async attachableFiles(ids: string[], actor: Actor, param: string): Promise<string[]> {
    const unique = [...new Set(ids)];
    const rows = await this.prisma.file.findMany({ where: { id: { in: unique } }, select: { id: true, purpose: true, owner_key_hash: true, bytes: true } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    ids.forEach((id, position) => {
      const field = param === "file_id" ? param : `${param}[${position}]`;
      const row = byId.get(id);
      if (!row || (actor.keyHash !== null && row.owner_key_hash !== actor.keyHash)) throw fileNotFound(id, field);
      if (row.purpose !== "assistants" && row.purpose !== "user_data") {
        throw new BadRequestError(
          `${field}: file "${id}" was uploaded with purpose "${row.purpose}"; vector stores take files uploaded with purpose "assistants".`,
          { param: field, code: "invalid_file_purpose" },
        );
      }
    });
    return unique;
  }

  /**
   * Inserts (or re-inserts, when the earlier attachment failed or was cancelled) the attachment row and sends its
   * job in the same transaction. Attaching a file that is already in progress or completed changes nothing.
   */
  private async attachInTransaction(
    transaction: Transaction,
    storeId: string,
    file: { fileId: string; attributes: Record<string, AttributeValue>; chunking: StaticChunkingStrategy },
    actor: Actor,
    batchId: string | null,
    now: Date,
  ): Promise<void> {
    const key = { vector_store_id_file_id: { vector_store_id: storeId, file_id: file.fileId } };
    const existing = await transaction.vectorStoreFile.findUnique({ where: key, select: { status: true } });
    if (existing && (existing.status === "in_progress" || existing.status === "completed")) {
      if (batchId !== null) await transaction.vectorStoreFile.update({ where: key, data: { batch_id: batchId } });
      return;
    }
    if (existing) await transaction.vectorStoreFile.delete({ where: key });
    const row = await transaction.vectorStoreFile.create({
      data: {
        vector_store_id: storeId,
        file_id: file.fileId,
        status: "in_progress",
        attributes: file.attributes,
        chunking_strategy: { type: file.chunking.type, static: { ...file.chunking.static } },
        batch_id: batchId,
        requested_by_key_hash: actor.keyHash,
        requested_by_alias: actor.alias,
        created_at: now,
        updated_at: now,
      },
    });
    await this.options.queue.send({ vector_store_id: storeId, file_id: file.fileId, generation: row.created_at.toISOString() }, transaction);
  }

  // ---------------------------------------------------------------- file batches

  async createBatch(storeId: string, input: CreateFileBatchInput, actor: Actor): Promise<FileBatchObject> {
    const parsed = parseInput(createFileBatchInputSchema, input, { what: "file batch" });
    const store = await this.storeRow(storeId);
    const entries =
      parsed.files?.map((entry, position) => ({ ...entry, param: `files[${position}].file_id` })) ??
      (parsed.file_ids ?? []).map((file_id, position) => ({ file_id, attributes: undefined, chunking_strategy: undefined, param: `file_ids[${position}]` }));
    const files: Array<{ fileId: string; attributes: Record<string, AttributeValue>; chunking: StaticChunkingStrategy }> = [];
    for (const entry of entries) {
      await this.attachableFiles([entry.file_id], actor, entry.param);
      files.push({
        fileId: entry.file_id,
        attributes: entry.attributes ?? parsed.attributes ?? {},
        chunking: this.chunkingFor(store, entry.chunking_strategy ?? parsed.chunking_strategy),
      });
    }
    const now = this.clock();
    const id = newId("vsfb_", now);
    await this.prisma.$transaction(async (transaction) => {
      await transaction.fileBatch.create({ data: { id, vector_store_id: storeId, created_at: now } });
      for (const file of files) await this.attachInTransaction(transaction, storeId, file, actor, id, now);
    });
    return this.getBatch(storeId, id);
  }

  async getBatch(storeId: string, batchId: string): Promise<FileBatchObject> {
    const row = await this.batchRow(storeId, batchId);
    const { counts } = await this.counts({ batch_id: batchId });
    return {
      id: row.id,
      object: "vector_store.files_batch",
      created_at: unixSeconds(row.created_at),
      vector_store_id: storeId,
      status: row.cancelled_at !== null ? (counts.in_progress > 0 ? "in_progress" : "cancelled") : counts.in_progress > 0 ? "in_progress" : "completed",
      file_counts: counts,
    };
  }

  /**
   * Marks every file of the batch still in progress `cancelled`, in one statement. A running ingestion sees it at its
   * next step and removes what it wrote; a queued job finds the file cancelled and does nothing.
   */
  async cancelBatch(storeId: string, batchId: string): Promise<FileBatchObject> {
    await this.batchRow(storeId, batchId);
    const now = this.clock();
    await this.prisma.$transaction([
      this.prisma.fileBatch.update({ where: { id: batchId }, data: { cancelled_at: now } }),
      this.prisma.vectorStoreFile.updateMany({
        where: { batch_id: batchId, vector_store_id: storeId, status: "in_progress" },
        data: { status: "cancelled", updated_at: now },
      }),
    ]);
    return this.getBatch(storeId, batchId);
  }

  async listBatchFiles(storeId: string, batchId: string, params: StoreFileListParamsInput): Promise<ListPage<VectorStoreFileObject>> {
    const parsed = parseInput(storeFileListParamsSchema, params, { what: "list parameters" });
    await this.batchRow(storeId, batchId);
    return this.listFileRows({ vector_store_id: storeId, batch_id: batchId }, parsed);
  }

  private async batchRow(storeId: string, batchId: string) {
    const row = await this.prisma.fileBatch.findUnique({ where: { id: batchId } });
    if (!row || row.vector_store_id !== storeId)
      throw new NotFoundError(`No file batch "${batchId}" in vector store "${storeId}".`, { param: "batch_id", code: "file_batch_not_found" });
    return row;
  }
}

function fileNotFound(id: string, param: string): NotFoundError {
  return new NotFoundError(`${param}: no file with id "${id}".`, { param, code: "file_not_found" });
}

function ownerWhere(actor: Actor): { owner_key_hash?: string } {
  return actor.keyHash === null ? {} : { owner_key_hash: actor.keyHash };
}

/** `after`/`before` are ids in the list's order; the rows are fetched towards the cursor's side. */
function cursorWhere(params: ListParams): { id?: { lt?: string; gt?: string } } {
  const descending = params.order === "desc";
  if (params.after !== undefined) return { id: descending ? { lt: params.after } : { gt: params.after } };
  if (params.before !== undefined) return { id: descending ? { gt: params.before } : { lt: params.before } };
  return {};
}

function fetchOrder(params: ListParams): "asc" | "desc" {
  // `before` pages are fetched from the cursor backwards, then put back in the list's order.
  if (params.before !== undefined && params.after === undefined) return params.order === "desc" ? "asc" : "desc";
  return params.order;
}

function page<T extends { id: string }>(rows: T[], params: ListParams): ListPage<T> {
  const hasMore = rows.length > params.limit;
  let data = rows.slice(0, params.limit);
  if (params.before !== undefined && params.after === undefined) data = data.reverse();
  return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

function toFileObject(row: { id: string; bytes: number; created_at: Date; filename: string; purpose: string }): FileObject {
  return {
    id: row.id,
    object: "file",
    bytes: row.bytes,
    created_at: unixSeconds(row.created_at),
    filename: row.filename,
    purpose: row.purpose,
    status: "processed",
    expires_at: null,
    status_details: null,
  };
}

function toStoreFileObject(row: StoreFileRow): VectorStoreFileObject {
  return {
    id: row.file_id,
    object: "vector_store.file",
    created_at: unixSeconds(row.created_at),
    usage_bytes: row.usage_bytes,
    vector_store_id: row.vector_store_id,
    status: row.status as VectorStoreFileStatus,
    last_error: (row.last_error ?? null) as FileError | null,
    attributes: (row.attributes ?? {}) as Record<string, AttributeValue>,
    chunking_strategy: row.chunking_strategy as StaticChunkingStrategy,
  };
}
