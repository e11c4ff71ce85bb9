import { parse } from "csv-parse/sync";
import { InvalidFileError } from "../errors.js";

const DELIMITERS = [",", "\t", ";", "|"] as const;

/**
 * CSV as one line per row, each value led by its column's name: `name: Ada | born: 1815`. The first row is the
 * header. Naming the columns in every row keeps a chunk cut from the middle of a table understandable on its own;
 * empty cells are left out. A row with more cells than the header names the extra ones `column N`. A file with only a
 * header gives the header line.
 */
export function csvToText(text: string, filename: string): string {
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (error) {
    throw new InvalidFileError(`The file ${JSON.stringify(filename)} is not valid CSV: ${(error as Error).message}`, { cause: error });
  }
  const [header, ...records] = rows;
  if (header === undefined) return "";
  const columns = header.map((name, index) => oneLine(name) || `column ${index + 1}`);
  if (records.length === 0) return columns.join(" | ");
  const lines: string[] = [];
  for (const record of records) {
    const cells: string[] = [];
    record.forEach((value, index) => {
      const cell = oneLine(value);
      if (cell !== "") cells.push(`${columns[index] ?? `column ${index + 1}`}: ${cell}`);
    });
    if (cells.length > 0) lines.push(cells.join(" | "));
  }
  return lines.join("\n");
}

function oneLine(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}

/** The candidate that occurs most often outside quotes in the first line; a comma when none does. */
function detectDelimiter(text: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const character of text.slice(0, 65536)) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && (character === "\n" || character === "\r")) break;
    else if (!quoted && (DELIMITERS as readonly string[]).includes(character)) counts.set(character, (counts.get(character) ?? 0) + 1);
  }
  let best: string = ",";
  for (const delimiter of DELIMITERS) if ((counts.get(delimiter) ?? 0) > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}
