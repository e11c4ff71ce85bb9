import { AbortedError, raceAbort } from "@vs/core";
import { InvalidFileError } from "../errors.js";

/** The text of a Word document: paragraphs separated by a blank line (mammoth's raw text). */
export async function docxToText(bytes: Uint8Array, filename: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    // Loaded on the first Word file: a gateway that never ingests one never pays its memory.
    const { default: mammoth } = await import("mammoth");
    const result = await raceAbort(mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }), signal);
    return result.value.replace(/\n{3,}/g, "\n\n").trim();
  } catch (error) {
    if (AbortedError.isInstance(error)) throw error;
    throw new InvalidFileError(
      `The file ${JSON.stringify(filename)} could not be read as a DOCX document: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
