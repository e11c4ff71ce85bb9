import { AbortedError, raceAbort, throwIfAborted } from "@vs/core";
import type { getDocumentProxy as GetDocumentProxy } from "unpdf";
import { InvalidFileError } from "../errors.js";

/**
 * The text layer of a PDF, page by page (pages separated by a blank line), with pdf.js as bundled by unpdf: no worker,
 * no network, no native code. A scanned PDF without a text layer yields no text (the caller reports it).
 */
export async function pdfToText(bytes: Uint8Array, filename: string, signal: AbortSignal | undefined): Promise<string> {
  // pdf.js takes ownership of (and may detach) the buffer it is given: hand it a copy, never the caller's bytes.
  const data = new Uint8Array(bytes);
  let document: Awaited<ReturnType<typeof GetDocumentProxy>>;
  try {
    // Loaded on the first PDF (pdf.js is large).
    const { getDocumentProxy } = await import("unpdf");
    document = await raceAbort(getDocumentProxy(data, { verbosity: 0, useSystemFonts: false }), signal);
  } catch (error) {
    throw describePdfError(error, filename);
  }
  try {
    const pages: string[] = [];
    for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber += 1) {
      throwIfAborted(signal);
      const page = await document.getPage(pageNumber);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
      pages.push(text);
      page.cleanup();
    }
    return pages
      .join("\n\n")
      .replace(/[^\S\n]+/g, " ")
      .replace(/ ?\n ?/g, "\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim();
  } catch (error) {
    throw describePdfError(error, filename);
  } finally {
    await document.loadingTask.destroy();
  }
}

function describePdfError(error: unknown, filename: string): unknown {
  if (InvalidFileError.isInstance(error) || AbortedError.isInstance(error)) return error;
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "PasswordException") return new InvalidFileError(`The PDF ${JSON.stringify(filename)} is protected by a password.`, { cause: error });
  return new InvalidFileError(`The file ${JSON.stringify(filename)} could not be read as a PDF: ${message}`, { cause: error });
}
