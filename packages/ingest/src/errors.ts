import { VsError } from "@vs/core";

/**
 * The file is of a kind we do not turn into text (an image, an archive, a spreadsheet, unknown binary data). The
 * message says what was detected, so the uploader knows what to convert. `code` matches OpenAI's
 * `last_error.code` for vector store files.
 */
export class UnsupportedFileError extends VsError {
  static override readonly kind: string = "UnsupportedFileError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super({ message, status: 400, code: "unsupported_file", type: "invalid_request_error", param: "file", cause: options.cause });
  }
}

/** The file claims a supported format but cannot be read as it: a corrupt PDF, an empty file, text that is not UTF-8. */
export class InvalidFileError extends VsError {
  static override readonly kind: string = "InvalidFileError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super({ message, status: 400, code: "invalid_file", type: "invalid_request_error", param: "file", cause: options.cause });
  }
}
