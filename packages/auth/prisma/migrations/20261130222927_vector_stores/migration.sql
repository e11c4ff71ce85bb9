-- AlterTable
ALTER TABLE "vs_verification_tokens" ADD COLUMN     "can_create_vector_stores" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "vs_files" (
    "id" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "bytes" INTEGER NOT NULL,
    "filename" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "owner_key_hash" TEXT,
    "owner_key_alias" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vs_files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vs_vector_stores" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "description" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider" TEXT NOT NULL,
    "backend_id" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "embedding_model" TEXT NOT NULL,
    "dimensions" INTEGER NOT NULL,
    "chunking_strategy" JSONB,
    "expires_after" JSONB,
    "last_active_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_key_hash" TEXT,
    "created_by_alias" TEXT,

    CONSTRAINT "vs_vector_stores_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vs_vector_store_files" (
    "vector_store_id" TEXT NOT NULL,
    "file_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "last_error" JSONB,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "chunking_strategy" JSONB NOT NULL,
    "usage_bytes" INTEGER NOT NULL DEFAULT 0,
    "chunk_count" INTEGER NOT NULL DEFAULT 0,
    "batch_id" TEXT,
    "requested_by_key_hash" TEXT,
    "requested_by_alias" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vs_vector_store_files_pkey" PRIMARY KEY ("vector_store_id","file_id")
);

-- CreateTable
CREATE TABLE "vs_file_batches" (
    "id" TEXT NOT NULL,
    "vector_store_id" TEXT NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vs_file_batches_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "vs_files_created_at_idx" ON "vs_files"("created_at");

-- CreateIndex
CREATE INDEX "vs_files_owner_key_hash_created_at_idx" ON "vs_files"("owner_key_hash", "created_at");

-- CreateIndex
CREATE INDEX "vs_vector_stores_created_at_idx" ON "vs_vector_stores"("created_at");

-- CreateIndex
CREATE INDEX "vs_vector_store_files_vector_store_id_status_created_at_idx" ON "vs_vector_store_files"("vector_store_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "vs_vector_store_files_batch_id_idx" ON "vs_vector_store_files"("batch_id");

-- CreateIndex
CREATE INDEX "vs_file_batches_vector_store_id_idx" ON "vs_file_batches"("vector_store_id");

-- AddForeignKey
ALTER TABLE "vs_vector_store_files" ADD CONSTRAINT "vs_vector_store_files_vector_store_id_fkey" FOREIGN KEY ("vector_store_id") REFERENCES "vs_vector_stores"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vs_file_batches" ADD CONSTRAINT "vs_file_batches_vector_store_id_fkey" FOREIGN KEY ("vector_store_id") REFERENCES "vs_vector_stores"("id") ON DELETE CASCADE ON UPDATE CASCADE;
