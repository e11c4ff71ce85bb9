import { BadRequestError, formatPath, type ComparisonFilter, type CompoundFilter, type Filter } from "@vs/core";

export interface MilvusFilter {
  /** A Milvus boolean expression; every user value is a `{pN}` placeholder. */
  expression: string;
  /** The placeholders' values, sent as the search's `exprParams`. */
  exprParams: Record<string, unknown>;
}

const OPERATORS: Record<ComparisonFilter["type"], string> = {
  eq: "==",
  ne: "!=",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  in: "in",
  nin: "not in",
};

/** A Milvus field name: what Milvus itself allows in a schema. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A key inside a JSON field or the dynamic field. Deliberately narrow: no quote, backslash or bracket can appear. */
const JSON_KEY = /^[A-Za-z0-9_-]+$/;
/** `field`, then any number of `["key"]` or `[index]` steps. */
const JSON_PATH = /^([A-Za-z_][A-Za-z0-9_]*)((?:\["[A-Za-z0-9_-]+"\]|\[\d+\])*)$/;
/** Words the Milvus expression grammar reserves; as a bare key they would not parse as a field. */
const RESERVED_WORDS = new Set(["and", "or", "not", "in", "like", "true", "false", "exists", "null", "is"]);

/**
 * Turns an OpenAI `filters` object into a Milvus filter expression. User values never enter the expression text:
 * each one becomes a `{pN}` placeholder whose value travels in `exprParams`, so no value can change the expression.
 *
 * Keys may be a field name (`genre`), a dotted path into a JSON or dynamic field (`meta.author` →
 * `meta["author"]`), or a JSON path written the Milvus way (`meta["author"]`, `tags[0]`). Anything else is a 400
 * naming the key's path in the request (`filters.filters[1].key`).
 */
export function buildMilvusFilter(filters: Filter, pathPrefix = "filters", settings: MilvusFilterSettings = {}): MilvusFilter {
  const exprParams: Record<string, unknown> = {};
  let next = 0;

  const placeholder = (value: unknown): string => {
    const name = `p${next++}`;
    exprParams[name] = value;
    return `{${name}}`;
  };

  const visit = (filter: Filter, path: PropertyKey[]): string => {
    if (isCompound(filter)) {
      if (filter.filters.length === 0) {
        throw new BadRequestError(`${formatPath([...path, "filters"])}: a compound filter needs at least one filter.`, {
          param: formatPath([...path, "filters"]),
        });
      }
      const joiner = filter.type === "and" ? " and " : " or ";
      return filter.filters.map((child, index) => `(${visit(child, [...path, "filters", index])})`).join(joiner);
    }
    const keyPath = formatPath([...path, "key"]);
    if (settings.attributesField !== undefined) {
      const field = attributeReference(settings.attributesField, filter.key, keyPath);
      checkValue(filter, formatPath([...path, "value"]));
      // Milvus Lite refuses a JSON path left of `in`; one comparison per value means the same on every engine.
      if (Array.isArray(filter.value) && (filter.type === "in" || filter.type === "nin")) {
        const operator = filter.type === "in" ? "==" : "!=";
        const comparisons = filter.value.map((value) => `${field} ${operator} ${placeholder(value)}`);
        return comparisons.length === 1 ? (comparisons[0] as string) : `(${comparisons.join(filter.type === "in" ? " or " : " and ")})`;
      }
      return `${field} ${OPERATORS[filter.type]} ${placeholder(filter.value)}`;
    }
    const field = milvusFieldReference(filter.key, keyPath);
    checkValue(filter, formatPath([...path, "value"]));
    return `${field} ${OPERATORS[filter.type]} ${placeholder(filter.value)}`;
  };

  const expression = visit(filters, pathPrefix === "" ? [] : [pathPrefix]);
  return { expression, exprParams };
}

export interface MilvusFilterSettings {
  /**
   * Every key names a key of this JSON field (`k` → `attributes["k"]`), as in the stores the gateway creates, where
   * OpenAI attributes live in one JSON field.
   */
  attributesField?: string | undefined;
}

/** An attribute key: no quote, backslash or bracket, nor `/` and `~` (Milvus turns the path into a JSON pointer). */
const ATTRIBUTE_KEY = /^[A-Za-z0-9_\-. ]{1,64}$/;

function attributeReference(field: string, key: string, param: string): string {
  if (!ATTRIBUTE_KEY.test(key)) {
    throw new BadRequestError(`${param}: "${truncate(key)}" is not a usable attribute key: use 1 to 64 letters, digits, spaces and _ - . characters.`, {
      param,
      code: "invalid_filter_key",
    });
  }
  return `${field}["${key}"]`;
}

/** ANDs the operator's `filter` option with the expression built from the request's `filters`. */
export function combineMilvusFilters(optionFilter: string | undefined, requestFilter: MilvusFilter | undefined): MilvusFilter | undefined {
  if (requestFilter === undefined) return optionFilter === undefined ? undefined : { expression: optionFilter, exprParams: {} };
  if (optionFilter === undefined) return requestFilter;
  return { expression: `(${optionFilter}) and (${requestFilter.expression})`, exprParams: requestFilter.exprParams };
}

function isCompound(filter: Filter): filter is CompoundFilter {
  return filter.type === "and" || filter.type === "or";
}

function milvusFieldReference(key: string, param: string): string {
  const invalid = (reason: string) =>
    new BadRequestError(
      `${param}: "${truncate(key)}" ${reason}. Use a field name (letters, digits, _), a dotted path into a JSON field (meta.author) or meta["author"].`,
      {
        param,
        code: "invalid_filter_key",
      },
    );

  if (FIELD_NAME.test(key)) {
    if (RESERVED_WORDS.has(key.toLowerCase())) throw invalid("is a reserved word of the Milvus expression language");
    return key;
  }
  if (key.includes(".") && !key.includes("[")) {
    const [field, ...steps] = key.split(".");
    if (field === undefined || !FIELD_NAME.test(field) || RESERVED_WORDS.has(field.toLowerCase())) throw invalid("does not start with a valid field name");
    if (steps.some((step) => !JSON_KEY.test(step))) throw invalid("has a path step that is empty or contains characters other than letters, digits, _ and -");
    return `${field}${steps.map((step) => `["${step}"]`).join("")}`;
  }
  const match = JSON_PATH.exec(key);
  if (match && !RESERVED_WORDS.has((match[1] ?? "").toLowerCase())) return key;
  throw invalid("is not a valid field reference");
}

function checkValue(filter: ComparisonFilter, param: string): void {
  const { type, value } = filter;
  if (type === "in" || type === "nin") {
    if (!Array.isArray(value)) throw new BadRequestError(`${param}: "${type}" needs an array of values.`, { param, code: "invalid_filter_value" });
    // Milvus infers a template's element type from the first element; an empty list cannot be typed.
    if (value.length === 0) throw new BadRequestError(`${param}: "${type}" needs at least one value.`, { param, code: "invalid_filter_value" });
    return;
  }
  if (Array.isArray(value)) {
    throw new BadRequestError(`${param}: "${type}" compares with one value; use "${type === "ne" ? "nin" : "in"}" for a list.`, {
      param,
      code: "invalid_filter_value",
    });
  }
  if ((type === "gt" || type === "gte" || type === "lt" || type === "lte") && typeof value === "boolean") {
    throw new BadRequestError(`${param}: "${type}" needs a number or a string, not a boolean.`, { param, code: "invalid_filter_value" });
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new BadRequestError(`${param}: must be a finite number.`, { param, code: "invalid_filter_value" });
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
