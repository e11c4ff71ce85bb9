/**
 * Checks a JSON text's shape before anything walks the parsed value: every consumer downstream (zod, the filter
 * compiler, `JSON.stringify` on the way to Milvus, PostgreSQL's jsonb) recurses or refuses, so a body nested 10,000
 * levels deep or holding a U+0000 would otherwise fail far from here as a stack overflow or a database error. The
 * scan is a loop over the text, never recursion, so it cannot overflow itself.
 */
export interface JsonShapeProblem {
  kind: "too_deep" | "nul_character";
  /** Where, in the field notation of validation errors: `filters.and[0].or[2]`; `""` for the top level. */
  path: string;
}

export interface JsonShapeLimits {
  /** Containers (objects and arrays) nested deeper than this are refused; the top-level object is depth 1. */
  maxDepth: number;
  /** Refuse a `\u0000` in any string, key or value (PostgreSQL stores no NUL in text or jsonb). */
  refuseNul: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LOWER_U = 0x75;

/** Finds the first problem, or null. The text need not be valid JSON (then the parse that follows refuses it). */
export function findJsonShapeProblem(text: string, limits: JsonShapeLimits): JsonShapeProblem | null {
  let depth = 0;
  let inString = false;
  for (let offset = 0; offset < text.length; offset++) {
    const code = text.charCodeAt(offset);
    if (inString) {
      if (code === QUOTE) inString = false;
      else if (code === BACKSLASH) {
        if (limits.refuseNul && text.charCodeAt(offset + 1) === LOWER_U && text.startsWith("0000", offset + 2)) {
          return { kind: "nul_character", path: pathAt(text, offset) };
        }
        offset++;
      } else if (code === 0 && limits.refuseNul) {
        return { kind: "nul_character", path: pathAt(text, offset) };
      }
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limits.maxDepth) return { kind: "too_deep", path: pathAt(text, offset) };
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return null;
}

interface Frame {
  isArray: boolean;
  index: number;
  key: string | null;
  expectingKey: boolean;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The path of the value (or key) that contains `target`. Only run once a problem was found, so it may be slower
 * than the scan: it keeps one frame per open container — at most `maxDepth + 1` of them.
 */
function pathAt(text: string, target: number): string {
  const frames: Frame[] = [];
  for (let offset = 0; offset < target; offset++) {
    const code = text.charCodeAt(offset);
    const top = frames[frames.length - 1];
    if (code === QUOTE) {
      const end = stringEnd(text, offset);
      if (end > target) {
        // The target is inside this string: when it is a key, the key names the field.
        if (top && !top.isArray && top.expectingKey) top.key = decodeKey(text.slice(offset, end + 1));
        break;
      }
      if (top && !top.isArray && top.expectingKey) {
        top.key = decodeKey(text.slice(offset, end + 1));
        top.expectingKey = false;
      }
      offset = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (offset === target) break;
      frames.push({ isArray: code === OPEN_BRACKET, index: 0, key: null, expectingKey: code === OPEN_BRACE });
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      frames.pop();
    } else if (code === 0x2c /* , */ && top) {
      if (top.isArray) top.index++;
      else top.expectingKey = true;
    }
  }
  let path = "";
  for (const frame of frames) {
    if (frame.isArray) path += `[${frame.index}]`;
    else if (frame.key !== null) path += IDENTIFIER.test(frame.key) ? (path === "" ? frame.key : `.${frame.key}`) : `[${JSON.stringify(frame.key)}]`;
  }
  return path;
}

/** The offset of the quote that closes the string opening at `start` (or the text's end). */
function stringEnd(text: string, start: number): number {
  for (let offset = start + 1; offset < text.length; offset++) {
    const code = text.charCodeAt(offset);
    if (code === BACKSLASH) offset++;
    else if (code === QUOTE) return offset;
  }
  return text.length;
}

function decodeKey(literal: string): string {
  try {
    return String(JSON.parse(literal));
  } catch {
    return literal.slice(1, -1);
  }
}
