/**
 * Reading REST v2 request bodies the way Milvus's handlers do. Milvus binds each body to a typed Go struct first: a
 * value of the wrong JSON type fails the binding (code 1801, "can only accept json format request"), a `required`
 * field that is absent or empty fails validation (1802); only then do the engine's own checks run (1100 and others).
 */
export class MilvusFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const CONSISTENCY_LEVELS = ["Strong", "Session", "Bounded", "Eventually", "Customized"] as const;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function wrongType(key: string, expected: string): MilvusFailure {
  return new MilvusFailure(1801, `can only accept json format request, error: json: cannot unmarshal ${key} into a ${expected}`);
}

export function missing(key: string): MilvusFailure {
  return new MilvusFailure(1802, `missing required parameters, error: Key: '${key}' Error:Field validation for '${key}' failed on the 'required' tag`);
}

export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined || value === null || value === "") throw missing(key);
  if (typeof value !== "string") throw wrongType(key, "string");
  return value;
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType(key, "string");
  return value;
}

export function optionalInteger(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType(key, "integer");
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw wrongType(key, "bool");
  return value;
}

export function optionalStringList(body: Record<string, unknown>, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw wrongType(key, "list of strings");
  return value as string[];
}

export function optionalRecord(body: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw wrongType(key, "object");
  return value;
}

/** A list body field bound as `required`: absent or empty is 1802, another JSON type 1801. */
export function requireList(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key];
  if (value === undefined || value === null) throw missing(key);
  if (!Array.isArray(value)) throw wrongType(key, "list");
  if (value.length === 0) throw missing(key);
  return value;
}

/** Milvus refuses an unknown level (1100); an absent or empty one means the collection's default. */
export function checkConsistencyLevel(body: Record<string, unknown>): void {
  const level = optionalString(body, "consistencyLevel");
  if (level === undefined || level === "") return;
  if (!(CONSISTENCY_LEVELS as readonly string[]).includes(level)) {
    throw new MilvusFailure(
      1100,
      `invalid parameter[expected=one of ${CONSISTENCY_LEVELS.join(", ")}][actual=${level}]: consistencyLevel can only be one of them`,
    );
  }
}
