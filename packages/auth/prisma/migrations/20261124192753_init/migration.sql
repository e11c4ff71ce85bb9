-- CreateTable
CREATE TABLE "vs_verification_tokens" (
    "token" TEXT NOT NULL,
    "key_alias" TEXT,
    "key_name" TEXT NOT NULL,
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "allowed_vector_store_indexes" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "expires_at" TIMESTAMPTZ(3),
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "vs_verification_tokens_pkey" PRIMARY KEY ("token")
);

-- CreateTable
CREATE TABLE "vs_virtual_indexes" (
    "index_name" TEXT NOT NULL,
    "vector_store_index" TEXT NOT NULL,
    "vector_store_name" TEXT NOT NULL,
    "index_info" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "vs_virtual_indexes_pkey" PRIMARY KEY ("index_name")
);

-- CreateTable
CREATE TABLE "vs_spend_logs" (
    "id" UUID NOT NULL,
    "request_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key_hash" TEXT,
    "key_alias" TEXT,
    "route" TEXT NOT NULL,
    "vector_store" TEXT,
    "index_name" TEXT,
    "status_code" INTEGER NOT NULL,
    "latency_ms" INTEGER NOT NULL,
    "embedding_tokens" INTEGER NOT NULL DEFAULT 0,
    "embedding_cost_usd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "search_cost_usd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "result_count" INTEGER,
    "error_code" TEXT,

    CONSTRAINT "vs_spend_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "vs_verification_tokens_key_alias_key" ON "vs_verification_tokens"("key_alias");

-- CreateIndex
CREATE INDEX "vs_verification_tokens_created_at_idx" ON "vs_verification_tokens"("created_at");

-- CreateIndex
CREATE INDEX "vs_spend_logs_created_at_idx" ON "vs_spend_logs"("created_at");

-- CreateIndex
CREATE INDEX "vs_spend_logs_key_hash_created_at_idx" ON "vs_spend_logs"("key_hash", "created_at");
