import { randomBytes } from "node:crypto";

/**
 * Query vectors written into a Milvus REST body as bytes. `JSON.stringify` turns each float into its shortest
 * double text — 17 digits for a float32 value (`0.10000000149011612`), where 9 significant digits identify any
 * float32 — and builds one large string that is converted to UTF-8 again on the socket. An embedding of 1,536 floats
 * costs more there than the rest of the request: this writer puts the digits straight into a buffer.
 *
 * A value that is exactly a float32 (base64 embeddings, which is what Milvus stores anyway) is written with 9
 * significant digits, which read back to the same float32; any other finite double is written as `JSON.stringify`
 * would write it, so a vector that was never a float32 reaches Milvus with the digits it had.
 */

const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const LOWER_E = 0x65;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** 10^k for k in [-60, 60], indexed by k + 60: float32 values span 1.4e-45 to 3.4e38. */
const POWERS_OF_TEN = Array.from({ length: 121 }, (_, index) => 10 ** (index - 60));
/** The longest float written: a sign, 9 digits and a point with 7 leading zeros, or 9 digits and an exponent. */
const MAX_BYTES_PER_FLOAT = 20;
const LOG10_OF_2 = Math.log10(2);
/** A double and its two 32-bit halves (little-endian: the sign, exponent and top of the mantissa are the second). */
const BITS = new Float64Array(1);
const HIGH_WORD = new Uint32Array(BITS.buffer);

/** The largest number of bytes `writeVectorJson` writes for a vector of `length` values. */
export function maxVectorJsonBytes(length: number): number {
  return 2 + length * (MAX_BYTES_PER_FLOAT + 1);
}

/**
 * Writes `[v0,v1,…]` at `offset` and returns the offset after it, or -1 when a value is not a finite float32 (the
 * caller then leaves the body to `JSON.stringify`: doubles keep their own digits, and a bad value its usual fate).
 */
export function writeVectorJson(vector: ArrayLike<number>, target: Uint8Array, offset: number): number {
  let at = offset;
  target[at++] = OPEN_BRACKET;
  for (let index = 0; index < vector.length; index++) {
    if (index > 0) target[at++] = COMMA;
    const value = vector[index];
    if (typeof value !== "number" || Math.fround(value) !== value || !Number.isFinite(value)) return -1;
    at = writeFloat32(value, target, at);
  }
  target[at++] = CLOSE_BRACKET;
  return at;
}

function writeAscii(text: string, target: Uint8Array, offset: number): number {
  let at = offset;
  for (let index = 0; index < text.length; index++) target[at++] = text.charCodeAt(index);
  return at;
}

/** 9 significant digits, correctly rounded up to double arithmetic: enough to read back the same float32. */
function writeFloat32(value: number, target: Uint8Array, offset: number): number {
  let at = offset;
  if (value === 0) {
    target[at++] = DIGIT_0;
    return at;
  }
  let magnitude = value;
  if (magnitude < 0) {
    target[at++] = MINUS;
    magnitude = -magnitude;
  }
  // exponent: the power of ten of the first significant digit, from the binary exponent (may be one off: fixed below).
  BITS[0] = magnitude;
  let exponent = Math.floor((((HIGH_WORD[1] as number) >>> 20) - 1023) * LOG10_OF_2);
  let mantissa = Math.round(magnitude * (POWERS_OF_TEN[68 - exponent] as number));
  if (mantissa >= 1e9) {
    exponent += 1;
    mantissa = Math.round(magnitude * (POWERS_OF_TEN[68 - exponent] as number));
  } else if (mantissa < 1e8) {
    exponent -= 1;
    mantissa = Math.round(magnitude * (POWERS_OF_TEN[68 - exponent] as number));
  }
  // Rounding can carry to a tenth digit (999999999.6): one more power of ten, same digits.
  if (mantissa >= 1e9) {
    exponent += 1;
    mantissa = 1e8;
  }
  if (exponent < 0 && exponent >= -7) {
    // 0.000ddd: the usual range of embedding values, and shorter than an exponent.
    target[at++] = DIGIT_0;
    target[at++] = DOT;
    for (let zero = -1; zero > exponent; zero--) target[at++] = DIGIT_0;
    return withoutTrailingZeros(target, write9Digits(mantissa, target, at));
  }
  if (exponent >= 0 && exponent < 9) {
    // d…d.d…d: the 9 digits one place to the right, then the integer digits moved back in front of the point.
    write9Digits(mantissa, target, at + 1);
    for (let digit = 0; digit <= exponent; digit++) target[at + digit] = target[at + digit + 1] as number;
    target[at + exponent + 1] = DOT;
    const end = withoutTrailingZeros(target, at + 10);
    return target[end - 1] === DOT ? end - 1 : end;
  }
  // d…de±x: the mantissa's digits as an integer, scaled by a power of ten.
  const end = withoutTrailingZeros(target, write9Digits(mantissa, target, at));
  target[end] = LOWER_E;
  return writeAscii(String(exponent - (end - at) + 1), target, end + 1);
}

/** "0000" … "9999" as bytes: a 9-digit number is written with two divisions. */
const DIGIT_QUADS = new Uint8Array(40_000);
for (let value = 0; value < 10_000; value++) {
  DIGIT_QUADS[value * 4] = DIGIT_0 + Math.floor(value / 1000);
  DIGIT_QUADS[value * 4 + 1] = DIGIT_0 + (Math.floor(value / 100) % 10);
  DIGIT_QUADS[value * 4 + 2] = DIGIT_0 + (Math.floor(value / 10) % 10);
  DIGIT_QUADS[value * 4 + 3] = DIGIT_0 + (value % 10);
}

/** The 9 digits of `value` (10^8 ≤ value < 10^9), leading zeros included. */
function write9Digits(value: number, target: Uint8Array, offset: number): number {
  const high = (value / 10_000) | 0;
  const low = value - high * 10_000;
  const first = (high / 10_000) | 0;
  const middle = (high - first * 10_000) << 2;
  const last = low << 2;
  target[offset] = DIGIT_0 + first;
  target[offset + 1] = DIGIT_QUADS[middle] as number;
  target[offset + 2] = DIGIT_QUADS[middle + 1] as number;
  target[offset + 3] = DIGIT_QUADS[middle + 2] as number;
  target[offset + 4] = DIGIT_QUADS[middle + 3] as number;
  target[offset + 5] = DIGIT_QUADS[last] as number;
  target[offset + 6] = DIGIT_QUADS[last + 1] as number;
  target[offset + 7] = DIGIT_QUADS[last + 2] as number;
  target[offset + 8] = DIGIT_QUADS[last + 3] as number;
  return offset + 9;
}

function withoutTrailingZeros(target: Uint8Array, end: number): number {
  let at = end;
  while (target[at - 1] === DIGIT_0) at -= 1;
  return at;
}

/** Shorter arrays are written by `JSON.stringify` as before: the machinery pays off on embeddings, not on pairs. */
const MIN_VECTOR_LENGTH = 16;
/** Deep enough for every Milvus body that carries vectors: `data[i]`, `search[i].data[j]`, `data[i].<field>`. */
const MAX_VECTOR_DEPTH = 4;
/** Stands in for a vector inside the `JSON.stringify` text; unguessable, so no value of a caller's can look like one. */
const MARKER_NONCE = randomBytes(12).toString("hex");
/** The marker as a value (its NUL is what JSON.stringify then writes as `\u0000`)… */
const MARKER_PREFIX = `\u0000vs-vector-${MARKER_NONCE}:`;
/** …and as it appears in the text, opening quote included. */
const MARKER_IN_TEXT = `"\\u0000vs-vector-${MARKER_NONCE}:`;

/**
 * A Milvus REST body ready to send: `JSON.stringify(body)`, except that arrays of float32 values (query vectors, the
 * vectors of inserted rows) are written by `writeVectorJson` into the bytes directly. Anything else — a body without
 * such vectors, a vector of doubles (a passthrough client's own floats), a non-finite value — is `JSON.stringify`'s,
 * exactly as before.
 */
export function encodeMilvusBody(body: Record<string, unknown>): string | Buffer {
  const vectors: number[][] = [];
  collectFloat32Vectors(body, vectors, 0);
  if (vectors.length === 0) return JSON.stringify(body);
  const markers = new Map<unknown, string>(vectors.map((vector, position) => [vector, `${MARKER_PREFIX}${position}`]));
  const text = JSON.stringify(body, (_key, value: unknown) => (Array.isArray(value) ? (markers.get(value) ?? value) : value));
  // The text between markers, and the vector each marker stands for, in order.
  const pieces: string[] = [];
  const order: number[][] = [];
  let size = 0;
  let from = 0;
  for (let at = text.indexOf(MARKER_IN_TEXT); at !== -1; at = text.indexOf(MARKER_IN_TEXT, from)) {
    const close = text.indexOf('"', at + MARKER_IN_TEXT.length);
    const vector = vectors[Number(text.slice(at + MARKER_IN_TEXT.length, close))];
    if (vector === undefined) return JSON.stringify(body);
    pieces.push(text.slice(from, at));
    order.push(vector);
    size += maxVectorJsonBytes(vector.length);
    from = close + 1;
  }
  pieces.push(text.slice(from));
  for (const piece of pieces) size += Buffer.byteLength(piece);
  const bytes = Buffer.allocUnsafe(size);
  let offset = bytes.write(pieces[0] as string, 0);
  for (let index = 0; index < order.length; index++) {
    offset = writeVectorJson(order[index] as number[], bytes, offset);
    if (offset < 0) return JSON.stringify(body);
    offset += bytes.write(pieces[index + 1] as string, offset);
  }
  return bytes.subarray(0, offset);
}

function collectFloat32Vectors(value: unknown, into: number[][], depth: number): void {
  if (depth > MAX_VECTOR_DEPTH || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    if (value.length >= MIN_VECTOR_LENGTH && typeof value[0] === "number") {
      if (Math.fround(value[0]) === value[0] && Math.fround(value[value.length - 1]) === value[value.length - 1]) into.push(value as number[]);
      return;
    }
    for (const item of value) collectFloat32Vectors(item, into, depth + 1);
    return;
  }
  for (const key in value) if (Object.hasOwn(value, key)) collectFloat32Vectors((value as Record<string, unknown>)[key], into, depth + 1);
}
