import { throwIfAborted } from "@vs/core";
import { detectFormat, type FileFormat } from "./detect-format.js";
import { InvalidFileError } from "./errors.js";
import { csvToText } from "./parsers/csv.js";
import { decodeText } from "./parsers/decode-text.js";
import { docxToText } from "./parsers/docx.js";
import { htmlToText } from "./parsers/html.js";
import { jsonToText } from "./parsers/json.js";
import { pdfToText } from "./parsers/pdf.js";

export interface ParsedFile {
  text: string;
  format: FileFormat;
}

export interface ParseFileInput {
  bytes: Uint8Array;
  filename: string;
  contentType?: string | undefined;
}

type Parser = (bytes: Uint8Array, filename: string, signal: AbortSignal | undefined) => string | Promise<string>;

const PARSERS: Readonly<Record<FileFormat, Parser>> = {
  text: (bytes, filename) => decodeText(bytes, filename),
  markdown: (bytes, filename) => decodeText(bytes, filename),
  html: (bytes, filename) => htmlToText(decodeText(bytes, filename)),
  json: (bytes, filename) => jsonToText(decodeText(bytes, filename), filename),
  csv: (bytes, filename) => csvToText(decodeText(bytes, filename), filename),
  pdf: pdfToText,
  docx: docxToText,
};

/**
 * A file's text, ready to chunk. The format comes from the content type, then the extension, then the bytes
 * (`detectFormat`). Throws `UnsupportedFileError` for kinds we do not read (images, archives, spreadsheets, unknown
 * binary) and `InvalidFileError` for a file that is empty, corrupt or has no text.
 */
export async function parseFile(input: ParseFileInput, options: { signal?: AbortSignal } = {}): Promise<ParsedFile> {
  throwIfAborted(options.signal);
  const { bytes, filename } = input;
  if (bytes.length === 0) throw new InvalidFileError(`The file ${JSON.stringify(filename)} is empty (0 bytes).`);
  const format = detectFormat(input);
  const raw = await PARSERS[format](bytes, filename, options.signal);
  throwIfAborted(options.signal);
  // One line-break convention, so chunks and token counts do not depend on the uploader's operating system.
  const text = raw.replace(/\r\n?/g, "\n");
  if (text.trim() === "") {
    const hint = format === "pdf" ? " (a scanned PDF has no text layer; run OCR on it first)" : "";
    throw new InvalidFileError(`The file ${JSON.stringify(filename)} contains no text${hint}.`);
  }
  return { text, format };
}
