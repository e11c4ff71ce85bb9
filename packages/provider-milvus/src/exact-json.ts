/**
 * JSON that keeps every integer exact. Milvus primary keys and int64 fields go up to 2^63, a JavaScript number only
 * to 2^53: `JSON.parse` turns `9007199254740993` into `9007199254740992` without a word. Integers past 2^53 are kept
 * as `JSON.rawJSON` values (written back byte for byte by `JSON.stringify`) or as decimal strings, as the caller asks.
 *
 * Needs JSON source-text access (Node ≥ 21). Where it is missing, a text carrying such an integer is refused rather
 * than rounded.
 */

/** What `JSON.rawJSON` makes: a frozen object that `JSON.stringify` writes as its `rawJSON` text. */
export interface RawJson {
  readonly rawJSON: string;
}

interface SourceTextJson {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
  parse(text: string, reviver: (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown): unknown;
}

const sourceTextJson: SourceTextJson | undefined =
  typeof (JSON as Partial<SourceTextJson>).rawJSON === "function" ? (JSON as unknown as SourceTextJson) : undefined;

export function isRawJson(value: unknown): value is RawJson {
  return sourceTextJson !== undefined && sourceTextJson.isRawJSON(value);
}

/** `-?digits` beyond what a double holds exactly. */
export function isUnsafeIntegerText(text: string): boolean {
  return /^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text));
}

export interface JsonScan {
  /** Whether some integer literal is beyond 2^53 (the text needs the exact parse). */
  hasUnsafeInteger: boolean;
  /** Where nesting first goes past the limit, as a path (`data[0].meta.a`); undefined when it does not. */
  tooDeepAt: string | undefined;
  /** The keys of the top-level object as written, duplicates included, when the text is an object. */
  topLevelKeys: string[];
}

/** Where a value's text lies in a JSON text: `text.slice(start, end)`, whitespace around it included. */
export interface JsonSpan {
  start: number;
  end: number;
}

interface Frame {
  kind: "object" | "array";
  /** The current member: an object key or an array index. */
  at: string | number;
  expectsKey: boolean;
}

/**
 * One pass over a JSON text (assumed well formed; `JSON.parse` judges that): how deep it nests, whether an integer
 * needs the exact parse, and the top-level keys as written (`JSON.parse` keeps only the last of duplicate keys).
 * Given `topLevelValues`, it also collects where each top-level member's value lies, in the order of `topLevelKeys`.
 * Character codes and index arithmetic only: it runs over every byte of every passthrough body and Milvus answer
 * (thousands of vector floats), where a substring or a regex per number would cost more than the parse itself.
 */
export function scanJson(text: string, maxDepth: number, topLevelValues?: JsonSpan[]): JsonScan {
  const stack: Frame[] = [];
  let valueStart = -1;
  const topLevelKeys: string[] = [];
  let hasUnsafeInteger = false;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const end = endOfString(text, index);
      const top = stack[stack.length - 1];
      if (top?.kind === "object" && top.expectsKey) {
        const key = decodeString(text.slice(index, end));
        top.at = key;
        top.expectsKey = false;
        if (stack.length === 1) topLevelKeys.push(key);
      }
      index = end;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      stack.push(code === OPEN_BRACE ? { kind: "object", at: "", expectsKey: true } : { kind: "array", at: 0, expectsKey: false });
      if (stack.length > maxDepth) return { hasUnsafeInteger, tooDeepAt: pathOf(stack), topLevelKeys };
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (topLevelValues !== undefined && stack.length === 1 && valueStart !== -1) {
        topLevelValues.push({ start: valueStart, end: index });
        valueStart = -1;
      }
      stack.pop();
    } else if (code === COLON) {
      if (stack.length === 1) valueStart = index + 1;
    } else if (code === COMMA) {
      if (topLevelValues !== undefined && stack.length === 1 && valueStart !== -1) {
        topLevelValues.push({ start: valueStart, end: index });
        valueStart = -1;
      }
      const top = stack[stack.length - 1];
      if (top?.kind === "array") top.at = (top.at as number) + 1;
      else if (top) top.expectsKey = true;
    } else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) {
      const start = index;
      if (code === MINUS) index += 1;
      const digitsStart = index;
      index = skipDigits(text, index);
      const digits = index - digitsStart;
      if (digits === 0) continue;
      let integer = true;
      if (text.charCodeAt(index) === DOT) {
        const fractionStart = index + 1;
        const fractionEnd = skipDigits(text, fractionStart);
        if (fractionEnd > fractionStart) {
          integer = false;
          index = fractionEnd;
        }
      }
      const exponent = text.charCodeAt(index);
      if (exponent === LOWER_E || exponent === UPPER_E) {
        let at = index + 1;
        const sign = text.charCodeAt(at);
        if (sign === PLUS || sign === MINUS) at += 1;
        const exponentEnd = skipDigits(text, at);
        if (exponentEnd > at) {
          integer = false;
          index = exponentEnd;
        }
      }
      // Up to 15 digits an integer is always exact in a double: only longer ones need a look.
      if (integer && digits > 15 && !hasUnsafeInteger && !Number.isSafeInteger(Number(text.slice(start, index)))) hasUnsafeInteger = true;
      continue;
    }
    index += 1;
  }
  return { hasUnsafeInteger, tooDeepAt: undefined, topLevelKeys };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

function skipDigits(text: string, from: number): number {
  let index = from;
  for (let code = text.charCodeAt(index); code >= DIGIT_0 && code <= DIGIT_9; code = text.charCodeAt(index)) index += 1;
  return index;
}

function endOfString(text: string, start: number): number {
  // indexOf finds the next quote natively; a run of backslashes right before it decides whether it is escaped.
  let index = start + 1;
  for (;;) {
    const quote = text.indexOf('"', index);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH && quote - 1 - backslashes > start) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    index = quote + 1;
  }
}

function decodeString(literal: string): string {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === "string" ? value : literal;
  } catch {
    return literal;
  }
}

function pathOf(stack: Frame[]): string {
  let path = "";
  // The innermost frame is the one that went too deep: the path leads to it.
  for (const frame of stack.slice(0, -1)) {
    if (frame.kind === "array") path += `[${frame.at}]`;
    else path += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(frame.at)) ? `${path === "" ? "" : "."}${frame.at}` : `[${JSON.stringify(frame.at)}]`;
  }
  return path === "" ? "(the body)" : path;
}

/** Sixteen digits in a row: below that no integer literal can be past 2^53. */
const LONG_DIGIT_RUN = /\d{16}/;

/**
 * Whether some integer literal of a JSON text is past 2^53, for texts whose depth and keys do not matter: a native
 * regex rules out the usual case (no run of 16 digits anywhere) before the walk of `scanJson`.
 */
export function hasUnsafeIntegerLiteral(text: string): boolean {
  return LONG_DIGIT_RUN.test(text) && scanJson(text, Number.POSITIVE_INFINITY).hasUnsafeInteger;
}

/** How integers past 2^53 come out of `parseJsonExact`. */
export type UnsafeIntegers = "raw" | "string";

export class UnsafeIntegerUnsupportedError extends Error {
  constructor() {
    super("integers beyond 2^53 need Node.js 22 or later (JSON source-text access) to be kept exact");
    this.name = "UnsafeIntegerUnsupportedError";
  }
}

/**
 * `JSON.parse` that keeps integers past 2^53 exact: as raw JSON (`"raw"`, for texts sent on unchanged) or as decimal
 * strings (`"string"`, for values handed to code: what the gRPC transport answers too). `hasUnsafeInteger` from a
 * prior `scanJson` skips the slower reviver when nothing needs it. Throws what `JSON.parse` throws.
 */
export function parseJsonExact(text: string, unsafeIntegers: UnsafeIntegers, hasUnsafeInteger = hasUnsafeIntegerLiteral(text)): unknown {
  if (!hasUnsafeInteger) return JSON.parse(text);
  const exact = sourceTextJson;
  if (exact === undefined) throw new UnsafeIntegerUnsupportedError();
  return exact.parse(text, (_key, value, context) => {
    if (typeof value !== "number" || Number.isSafeInteger(value) || context.source === undefined || !isUnsafeIntegerText(context.source)) return value;
    return unsafeIntegers === "raw" ? exact.rawJSON(context.source) : context.source;
  });
}

/** A copy with every raw-JSON integer replaced by its decimal string (the form the Milvus Node SDK takes for int64). */
export function rawIntegersToStrings(value: unknown): unknown {
  if (isRawJson(value)) return value.rawJSON;
  if (Array.isArray(value)) return value.map(rawIntegersToStrings);
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = rawIntegersToStrings(item);
    return copy;
  }
  return value;
}

/** Whether a value holds a raw-JSON integer anywhere. */
export function containsRawJson(value: unknown): boolean {
  if (isRawJson(value)) return true;
  if (Array.isArray(value)) return value.some(containsRawJson);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsRawJson);
  return false;
}
