import { BadRequestError, formatPath, type ComparisonFilter, type CompoundFilter, type Filter } from "@vs/core";

/**
 * Bound parameters of one statement. Every user value (and every filter key) goes through `add`, which answers its
 * placeholder (`$3`): nothing a caller sends is ever part of the SQL text.
 */
export class SqlParameters {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Turns an OpenAI `filters` object into a SQL condition on a `jsonb` column (already quoted), with bound parameters.
 *
 * Semantics (the same as the Milvus provider's): a key is a top-level key of the metadata; `eq`/`ne`/`in`/`nin`
 * compare JSON values with their type (`1` is not `"1"`); `gt`/`gte`/`lt`/`lte` compare numbers numerically and
 * strings by code point, and never match a value of the other type; a row without the key matches no comparison,
 * `ne` and `nin` included. Bad filters are a 400 naming the field's path (`filters.filters[1].value`).
 */
export function buildPgvectorFilter(filter: Filter, metadataSql: string, parameters: SqlParameters, pathPrefix = "filters"): string {
  const visit = (node: Filter, path: PropertyKey[]): string => {
    if (isCompound(node)) {
      if (node.filters.length === 0) {
        const param = formatPath([...path, "filters"]);
        throw new BadRequestError(`${param}: a compound filter needs at least one filter.`, { param });
      }
      const joiner = node.type === "and" ? " AND " : " OR ";
      return node.filters.map((child, index) => `(${visit(child, [...path, "filters", index])})`).join(joiner);
    }
    return comparison(node, metadataSql, parameters, path);
  };
  return visit(filter, pathPrefix === "" ? [] : [pathPrefix]);
}

/** ANDs conditions, skipping absent ones; `undefined` when none is left. */
export function andConditions(...conditions: Array<string | undefined>): string | undefined {
  const present = conditions.filter((condition): condition is string => condition !== undefined);
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : present.map((condition) => `(${condition})`).join(" AND ");
}

function comparison(filter: ComparisonFilter, metadataSql: string, parameters: SqlParameters, path: PropertyKey[]): string {
  checkValue(filter, formatPath([...path, "value"]));
  const element = `(${metadataSql} -> ${parameters.add(filter.key)}::text)`;
  const { type, value } = filter;
  switch (type) {
    case "eq":
      return `${element} = ${parameters.add(JSON.stringify(value))}::jsonb`;
    case "ne":
      return `${element} <> ${parameters.add(JSON.stringify(value))}::jsonb`;
    case "in":
    case "nin": {
      // pg sends a JS array as a PostgreSQL array literal, escaping each element.
      const list = `${parameters.add((value as Array<string | number>).map((item) => JSON.stringify(item)))}::jsonb[]`;
      return type === "in" ? `${element} = ANY(${list})` : `NOT (${element} = ANY(${list}))`;
    }
    default: {
      const operator = RANGE_OPERATORS[type];
      if (typeof value === "number") {
        // jsonb compares numbers numerically; the type test keeps strings out (jsonb sorts every string before every number).
        return `(jsonb_typeof(${element}) = 'number' AND ${element} ${operator} ${parameters.add(JSON.stringify(value))}::jsonb)`;
      }
      // COLLATE "C": byte order of UTF-8 = code point order, whatever the database's collation.
      const key = parameters.add(filter.key);
      return `(jsonb_typeof(${element}) = 'string' AND (${metadataSql} ->> ${key}::text) COLLATE "C" ${operator} ${parameters.add(value)}::text COLLATE "C")`;
    }
  }
}

const RANGE_OPERATORS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function isCompound(filter: Filter): filter is CompoundFilter {
  return filter.type === "and" || filter.type === "or";
}

function checkValue(filter: ComparisonFilter, param: string): void {
  const { type, value } = filter;
  const fail = (message: string) => new BadRequestError(`${param}: ${message}`, { param, code: "invalid_filter_value" });
  if (type === "in" || type === "nin") {
    if (!Array.isArray(value)) throw fail(`"${type}" needs an array of values.`);
    if (value.length === 0) throw fail(`"${type}" needs at least one value.`);
    if (value.some((item) => typeof item === "number" && !Number.isFinite(item))) throw fail("must hold finite numbers only.");
    return;
  }
  if (Array.isArray(value)) throw fail(`"${type}" compares with one value; use "${type === "ne" ? "nin" : "in"}" for a list.`);
  if (type !== "eq" && type !== "ne" && typeof value === "boolean") throw fail(`"${type}" needs a number or a string, not a boolean.`);
  if (typeof value === "number" && !Number.isFinite(value)) throw fail("must be a finite number.");
}
