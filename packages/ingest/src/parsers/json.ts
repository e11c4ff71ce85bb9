import { InvalidFileError } from "../errors.js";

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const json = JSON as JSON & { rawJSON?: (text: string) => unknown };

/**
 * Numbers are kept as written (Node 22+ hands the reviver their source text): 12345678901234567890 or 1.10 must not
 * become 12345678901234567000 or 1.1 in a searchable document.
 */
const keepNumberSource: Reviver = (_key, value, context) =>
  typeof value === "number" && context?.source !== undefined && json.rawJSON !== undefined ? json.rawJSON(context.source) : value;

/** JSON as pretty-printed text, two-space indented. */
export function jsonToText(text: string, filename: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text, keepNumberSource as Parameters<typeof JSON.parse>[1]);
  } catch (error) {
    throw new InvalidFileError(`The file ${JSON.stringify(filename)} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return JSON.stringify(value, null, 2);
}
