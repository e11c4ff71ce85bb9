import { DataTypeMap, buildFieldDataMap } from "@zilliz/milvus2-sdk-node";
import { z } from "zod";

// Values: int64 and float32 as the REST server prints them, and the SDK's columns turned into REST rows.

/** An int64 as a number when a double holds it exactly, else as its decimal string. */
export function int64Value(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === "string" && /^-?\d+$/.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  return value;
}

/** A float32 printed with the fewest digits that read back to it, as Go's JSON encoder prints float32. */
export function float32Value(value: unknown): unknown {
  if (typeof value !== "number" || !Number.isFinite(value)) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits += 1) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}

const fieldDataSchema = z.looseObject({
  field_name: z.string(),
  type: z.union([z.string(), z.number()]).nullish(),
  is_dynamic: z.boolean().nullish(),
  scalars: z.looseObject({ array_data: z.looseObject({ element_type: z.union([z.string(), z.number()]).nullish() }).nullish() }).nullish(),
});
type FieldData = z.infer<typeof fieldDataSchema>;

function columnValue(field: FieldData, value: unknown): unknown {
  const type = dataTypeName(field.type);
  if (type === "Int64") return int64Value(value);
  if (type === "Float") return float32Value(value);
  if (type === "FloatVector" && Array.isArray(value)) return value.map(float32Value);
  if (type === "Array" && Array.isArray(value)) {
    const elementType = dataTypeName(field.scalars?.array_data?.element_type);
    if (elementType === "Int64") return value.map(int64Value);
    if (elementType === "Float") return value.map(float32Value);
  }
  return value;
}

function dataTypeName(type: string | number | null | undefined): string | undefined {
  if (typeof type === "string") return type;
  if (typeof type === "number") return Object.entries(DataTypeMap).find(([, code]) => code === type)?.[0];
  return undefined;
}

interface Columns {
  fields: FieldData[];
  values: Map<string, unknown[]>;
  /** The dynamic-field keys to put in rows; `*` or `$meta` puts all of them. */
  dynamicKeys: readonly string[];
}

/**
 * The answer's columns. `fixedFields` keeps only the fields named (a search's `outputFields`: Milvus Lite returns
 * every field when asked for none, where Milvus returns none); undefined or `*` keeps what Milvus returned.
 */
export function columnsOf(fieldsData: unknown, fixedFields: readonly string[] | undefined, dynamicKeys: readonly string[]): Columns {
  const keepsAll = fixedFields === undefined || fixedFields.includes("*");
  const fields = z
    .array(fieldDataSchema)
    .catch([])
    .parse(fieldsData ?? [])
    .filter((field) => keepsAll || isDynamicField(field) || fixedFields.includes(field.field_name));
  const values = buildFieldDataMap(Array.isArray(fieldsData) ? fieldsData : []) as Map<string, unknown[]>;
  return { fields, values, dynamicKeys };
}

function isDynamicField(field: FieldData): boolean {
  return field.is_dynamic === true || field.field_name === "$meta";
}

/** Row `index` as the REST server builds it (buildQueryResp): fixed fields, then the dynamic keys asked for. */
export function rowOf(columns: Columns, index: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const spreadsAllDynamic = columns.dynamicKeys.includes("$meta") || columns.dynamicKeys.includes("*");
  for (const field of columns.fields) {
    const value = columns.values.get(field.field_name)?.[index];
    if (isDynamicField(field)) {
      if (!isPlainObject(value)) continue;
      for (const [key, dynamicValue] of Object.entries(value)) {
        if (spreadsAllDynamic || columns.dynamicKeys.includes(key)) row[key] = dynamicValue;
      }
      continue;
    }
    row[field.field_name] = columnValue(field, value);
  }
  return row;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
