import { z } from "zod";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import type { CallContext } from "./context.js";

/**
 * The REST v2 answers of the gRPC transport: SDK statuses become the codes and messages Milvus's REST server gives
 * (internal/distributed/proxy/httpserver, handler_v2.go), so callers cannot tell the transports apart.
 */

/** The error texts the REST server puts before its detail, so messages read the same through both transports. */
export const RestMessage = {
  incorrectParameterFormat: "can only accept json format request",
  missingRequiredParameters: "missing required parameters",
  invalidInsertData: "fail to deal the insert data",
  checkPrimaryKey: "please check the primary key and its' type can only in [int, string]",
} as const;

/** Legacy `status.error_code` names → merr codes, as merr.OldCodeToMerr does for servers that send no `code`. */
const LEGACY_ERROR_CODES: Readonly<Record<string, number>> = {
  NotReadyServe: 1,
  CollectionNotExists: MilvusErrorCode.collectionNotFound,
  IllegalArgument: MilvusErrorCode.invalidParameter,
  NodeIDNotMatch: 904,
  InsufficientMemoryToLoad: 3,
  MemoryQuotaExhausted: 3,
  DiskQuotaExhausted: 7,
  TimeTickLongDelay: 11,
  RateLimit: 8,
  ForceDeny: 9,
  IndexNotExist: MilvusErrorCode.indexNotFound,
  SegmentNotFound: 600,
  MetaFailed: 500,
};

/**
 * Milvus Lite (PyPI milvus-lite 3.x) numbers its errors its own way (milvus_lite/adapter/grpc/errors.py): these are
 * its codes that mean something else in merr. Both its `code` and its numeric `error_code` go through this table.
 */
const MILVUS_LITE_ERROR_CODES: Readonly<Record<number, number>> = {
  1: MilvusErrorCode.unexpected,
  4: MilvusErrorCode.collectionNotFound,
  6: MilvusErrorCode.invalidParameter,
  11: MilvusErrorCode.indexNotFound,
  26: MilvusErrorCode.indexNotSupported,
  35: MilvusErrorCode.indexDuplicate,
};

/** An answer decided deep in a translation (a Milvus error, a bad body): returned to the caller, never thrown out. */
export class MilvusAnswer extends Error {
  constructor(readonly response: MilvusResponse & { message: string }) {
    super(response.message);
    this.name = "MilvusAnswer";
  }
}

export function answer(code: number, message: string): MilvusAnswer {
  return new MilvusAnswer({ code, message });
}

const statusSchema = z.looseObject({
  error_code: z.union([z.string(), z.number()]).nullish(),
  code: z.number().nullish(),
  reason: z.string().nullish(),
  extra_info: z.record(z.string(), z.unknown()).nullish(),
});
type MilvusStatus = z.infer<typeof statusSchema>;

/** The status in an SDK answer (`{status}`), or the answer itself when it is a bare status. */
export function statusOf(value: unknown): MilvusStatus | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = "status" in value ? (value as { status: unknown }).status : value;
  const parsed = statusSchema.safeParse(candidate);
  if (!parsed.success) return undefined;
  return parsed.data.error_code === undefined && parsed.data.code === undefined ? undefined : parsed.data;
}

/** The REST answer for a failed status; undefined when the status is a success. */
export function failedAnswer(status: MilvusStatus, isMilvusLite: boolean): MilvusResponse | undefined {
  const legacy = status.error_code ?? 0;
  const code = status.code ?? 0;
  const legacyFailed = legacy !== 0 && legacy !== "Success";
  if (code === 0 && !legacyFailed) return undefined;
  const message = status.reason !== undefined && status.reason !== null && status.reason !== "" ? status.reason : "unexpected error";
  return { code: restCode(code, legacy, isMilvusLite, message), message };
}

function restCode(code: number, legacy: string | number, isMilvusLite: boolean, message: string): number {
  if (isMilvusLite) {
    // Milvus Lite reports a missing database as an invalid argument or an unexpected error; Milvus says 800.
    if (/^database '.*' does not exist$/.test(message)) return MilvusErrorCode.databaseNotFound;
    const lite = code !== 0 ? code : typeof legacy === "number" ? legacy : 0;
    return MILVUS_LITE_ERROR_CODES[lite] ?? (lite !== 0 ? lite : (LEGACY_ERROR_CODES[String(legacy)] ?? MilvusErrorCode.unexpected));
  }
  if (code !== 0) return code;
  return LEGACY_ERROR_CODES[String(legacy)] ?? MilvusErrorCode.unexpected;
}

/** Throws the REST answer for a failed SDK answer; an answer without a status is an RPC the server lacks. */
export function requireSuccess(response: unknown, context: Pick<CallContext, "isMilvusLite">, rpc: string): void {
  const status = statusOf(response);
  if (status === undefined) throw answer(MilvusErrorCode.serviceUnimplemented, `service unimplemented: the Milvus server does not implement ${rpc}`);
  const failed = failedAnswer(status, context.isMilvusLite);
  if (failed !== undefined) throw new MilvusAnswer({ ...failed, message: failed.message ?? "unexpected error" });
}

/** `cost` as the REST server reports it (the `report_value` Milvus puts in a status), 0 when absent. */
export function costOf(response: unknown): number {
  const value = statusOf(response)?.extra_info?.report_value;
  const cost = typeof value === "string" || typeof value === "number" ? Number(value) : 0;
  return Number.isFinite(cost) ? cost : 0;
}
