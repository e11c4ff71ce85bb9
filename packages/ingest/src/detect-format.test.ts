import { describe, expect, it } from "vitest";
import { detectFormat } from "./detect-format.js";
import { UnsupportedFileError } from "./errors.js";
import { makePdf } from "@vs/test-support";

const text = new TextEncoder().encode("plain words");

describe("detectFormat", () => {
  it("trusts a specific content type first, then the extension, then the bytes", () => {
    expect(detectFormat({ bytes: text, filename: "notes.pdf", contentType: "text/plain" })).toBe("text");
    expect(detectFormat({ bytes: text, filename: "page.HTM", contentType: "application/octet-stream" })).toBe("html");
    expect(detectFormat({ bytes: text, filename: "data", contentType: "application/ld+json" })).toBe("json");
    expect(detectFormat({ bytes: text, filename: "Dockerfile" })).toBe("text");
    expect(detectFormat({ bytes: text, filename: "README" })).toBe("text");
    expect(detectFormat({ bytes: makePdf([["x"]]), filename: "scan.unknown" })).toBe("pdf");
    expect(detectFormat({ bytes: text, filename: "notes.txt", contentType: "TEXT/MARKDOWN; charset=UTF-8" })).toBe("markdown");
  });

  it("lets a supported extension decide when the content type is an unsupported label", () => {
    expect(detectFormat({ bytes: text, filename: "export.csv", contentType: "application/vnd.ms-excel" })).toBe("csv");
    expect(() => detectFormat({ bytes: text, filename: "export.xls", contentType: "application/vnd.ms-excel" })).toThrow(
      /an Excel spreadsheet; export it as CSV \(detected by content type application\/vnd.ms-excel\)/,
    );
  });

  it("rejects images by content type even with a text-looking body", () => {
    expect(() => detectFormat({ bytes: text, filename: "image", contentType: "image/webp" })).toThrow(UnsupportedFileError);
  });
});
