-- AlterTable
ALTER TABLE "vs_verification_tokens" ADD COLUMN     "budget_duration" TEXT,
ADD COLUMN     "budget_duration_ms" BIGINT,
ADD COLUMN     "budget_started_at" TIMESTAMPTZ(3),
ADD COLUMN     "max_budget" DOUBLE PRECISION,
ADD COLUMN     "max_parallel_requests" INTEGER,
ADD COLUMN     "rpm_limit" INTEGER,
ADD COLUMN     "soft_budget" DOUBLE PRECISION,
ADD COLUMN     "tpm_limit" INTEGER;

-- CreateTable
CREATE TABLE "vs_key_spend_windows" (
    "token" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "spend_usd" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "vs_key_spend_windows_pkey" PRIMARY KEY ("token","window_start")
);

-- CreateTable
CREATE TABLE "vs_rate_limit_windows" (
    "token" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(0) NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "vs_rate_limit_windows_pkey" PRIMARY KEY ("token","window_start")
);

-- CreateTable
CREATE TABLE "vs_parallel_leases" (
    "lease_id" UUID NOT NULL,
    "token" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vs_parallel_leases_pkey" PRIMARY KEY ("lease_id")
);

-- CreateIndex
CREATE INDEX "vs_rate_limit_windows_window_start_idx" ON "vs_rate_limit_windows"("window_start");

-- CreateIndex
CREATE INDEX "vs_parallel_leases_token_expires_at_idx" ON "vs_parallel_leases"("token", "expires_at");

-- AddForeignKey
ALTER TABLE "vs_key_spend_windows" ADD CONSTRAINT "vs_key_spend_windows_token_fkey" FOREIGN KEY ("token") REFERENCES "vs_verification_tokens"("token") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vs_rate_limit_windows" ADD CONSTRAINT "vs_rate_limit_windows_token_fkey" FOREIGN KEY ("token") REFERENCES "vs_verification_tokens"("token") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vs_parallel_leases" ADD CONSTRAINT "vs_parallel_leases_token_fkey" FOREIGN KEY ("token") REFERENCES "vs_verification_tokens"("token") ON DELETE CASCADE ON UPDATE CASCADE;
