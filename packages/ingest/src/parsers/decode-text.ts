import { InvalidFileError } from "../errors.js";

/**
 * The bytes as a string: UTF-8 (a byte order mark is dropped), or UTF-16 when a byte order mark says so, as Windows
 * tools write it. Anything else is not text we can read without guessing an encoding.
 */
export function decodeText(bytes: Uint8Array, filename: string): string {
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder("utf-16le", { fatal: true }).decode(bytes);
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder("utf-16be", { fatal: true }).decode(bytes);
    else text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new InvalidFileError(`The file ${JSON.stringify(filename)} is not UTF-8 text (nor UTF-16 with a byte order mark).`, { cause: error });
  }
  if (text.includes("\u0000")) {
    throw new InvalidFileError(
      `The file ${JSON.stringify(filename)} contains NUL characters: it is binary data or UTF-16 text without a byte order mark, not UTF-8 text.`,
    );
  }
  return text;
}
