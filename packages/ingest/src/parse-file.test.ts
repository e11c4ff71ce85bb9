import { AbortedError, VsError } from "@vs/core";
import { describe, expect, it } from "vitest";
import { InvalidFileError, UnsupportedFileError } from "./errors.js";
import { parseFile, type ParseFileInput } from "./parse-file.js";
import { makeDocx } from "./test-support/make-docx.js";
import { makePdf } from "@vs/test-support";
import { makeZip } from "./test-support/make-zip.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function failure(input: ParseFileInput): Promise<VsError> {
  try {
    await parseFile(input);
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${input.filename} to be rejected`);
}

describe("parseFile: text formats", () => {
  it("reads UTF-8 text, dropping a byte order mark and normalising line breaks", async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("Première ligne\r\nSecond line\rThird")]);
    expect(await parseFile({ bytes, filename: "notes.txt", contentType: "text/plain; charset=utf-8" })).toEqual({
      text: "Première ligne\nSecond line\nThird",
      format: "text",
    });
  });

  it("reads UTF-16 text with a byte order mark", async () => {
    const bytes = new Uint8Array([0xff, 0xfe, ...Buffer.from("Hello from Notepad", "utf16le")]);
    expect(await parseFile({ bytes, filename: "notepad.txt" })).toEqual({ text: "Hello from Notepad", format: "text" });
  });

  it("keeps Markdown as written and reads source code as text", async () => {
    const markdown = "# Title\n\nSome *emphasis* and `code`.\n";
    expect(await parseFile({ bytes: utf8(markdown), filename: "README.md" })).toEqual({ text: markdown, format: "markdown" });
    expect(await parseFile({ bytes: utf8("def f():\n    return 1\n"), filename: "f.py", contentType: "application/octet-stream" })).toEqual({
      text: "def f():\n    return 1\n",
      format: "text",
    });
  });

  it("turns HTML into readable text: no script or style, headings and paragraphs kept", async () => {
    const html = `<!doctype html><html><head><title>Milvus guide</title><style>p { color: red }</style>
      <script>var secret = "do not index";</script></head>
      <body><h1>Getting started</h1><p>Milvus stores   vectors &amp; scalars.</p>
      <p>Second<br>line</p><ul><li>One</li><li>Two</li></ul>
      <table><tr><th>Name</th><th>Port</th></tr><tr><td>gRPC</td><td>19530</td></tr></table>
      <pre>  indented
    code</pre><noscript>enable JS</noscript></body></html>`;
    const parsed = await parseFile({ bytes: utf8(html), filename: "guide.html", contentType: "text/html" });
    expect(parsed.format).toBe("html");
    expect(parsed.text).toBe(
      "Milvus guide\n\n# Getting started\n\nMilvus stores vectors & scalars.\n\nSecond\nline\n\n- One\n- Two\n\nName | Port\ngRPC | 19530\n\n  indented\n    code",
    );
  });

  it("pretty-prints JSON and keeps numbers as written", async () => {
    const parsed = await parseFile({ bytes: utf8('{"id":12345678901234567890,"price":1.10,"tags":["a","b"]}'), filename: "data.json" });
    expect(parsed).toEqual({ text: '{\n  "id": 12345678901234567890,\n  "price": 1.10,\n  "tags": [\n    "a",\n    "b"\n  ]\n}', format: "json" });
  });

  it("rejects invalid JSON as an invalid file", async () => {
    const error = await failure({ bytes: utf8('{"a": '), filename: "broken.json", contentType: "application/json" });
    expect(InvalidFileError.isInstance(error)).toBe(true);
    expect(error.message).toContain("not valid JSON");
  });

  it("writes each CSV row as a line with its column names, quoted values intact", async () => {
    const csv = 'name,born,notes\nAda Lovelace,1815,"analyst, poet"\nAlan Turing,1912,\n\n"Grace ""Amazing"" Hopper",1906,"multi\nline"\n';
    expect(await parseFile({ bytes: utf8(csv), filename: "people.csv", contentType: "text/csv" })).toEqual({
      text: 'name: Ada Lovelace | born: 1815 | notes: analyst, poet\nname: Alan Turing | born: 1912\nname: Grace "Amazing" Hopper | born: 1906 | notes: multi line',
      format: "csv",
    });
  });

  it("detects semicolon and tab delimiters and names extra columns", async () => {
    expect((await parseFile({ bytes: utf8("a;b\n1;2;3\n"), filename: "eu.csv" })).text).toBe("a: 1 | b: 2 | column 3: 3");
    expect((await parseFile({ bytes: utf8("a\tb\nx, y\tz\n"), filename: "table.tsv" })).text).toBe("a: x, y | b: z");
    expect((await parseFile({ bytes: utf8("only,a,header\n"), filename: "header.csv" })).text).toBe("only | a | header");
  });
});

describe("parseFile: PDF", () => {
  const sentences = [["The quick brown fox jumps over the lazy dog.", "Milvus keeps the vectors (and the scalars)."], ["Page two says hello to the chunker."]];

  it("extracts the text of every page, found by content type, by extension or by its bytes", async () => {
    const bytes = makePdf(sentences);
    for (const input of [
      { bytes, filename: "report", contentType: "application/pdf" },
      { bytes, filename: "report.PDF", contentType: "application/octet-stream" },
      { bytes, filename: "upload" },
    ]) {
      const parsed = await parseFile(input);
      expect(parsed.format).toBe("pdf");
      expect(parsed.text).toContain("The quick brown fox jumps over the lazy dog.");
      expect(parsed.text).toContain("Milvus keeps the vectors (and the scalars).");
      expect(parsed.text).toContain("Page two says hello to the chunker.");
      expect(parsed.text.indexOf("lazy dog")).toBeLessThan(parsed.text.indexOf("Page two"));
    }
    // The caller's bytes are untouched (pdf.js may detach the buffer it is handed).
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(await parseFile({ bytes: makePdf(sentences, { compress: false }), filename: "plain.pdf" })).toMatchObject({ format: "pdf" });
  });

  it("reports a corrupt PDF and a PDF without text as invalid files", async () => {
    const corrupt = await failure({ bytes: utf8("%PDF-1.7\nthis is not a real pdf body\n"), filename: "corrupt.pdf" });
    expect(InvalidFileError.isInstance(corrupt)).toBe(true);
    expect(corrupt.message).toContain("could not be read as a PDF");
    const truncated = makePdf(sentences).subarray(0, 200);
    expect(InvalidFileError.isInstance(await failure({ bytes: truncated, filename: "truncated.pdf" }))).toBe(true);
    const blank = await failure({ bytes: makePdf([[]]), filename: "scan.pdf" });
    expect(blank.code).toBe("invalid_file");
    expect(blank.message).toContain("contains no text");
    expect(blank.message).toContain("OCR");
  });
});

describe("parseFile: DOCX", () => {
  it("extracts headings and paragraphs, found by content type or by its bytes", async () => {
    const bytes = await makeDocx("Quarterly report", ["Revenue grew by twelve percent.", "Milvus served every query in time."]);
    for (const input of [
      { bytes, filename: "report.docx", contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
      { bytes, filename: "upload" },
    ]) {
      const parsed = await parseFile(input);
      expect(parsed).toEqual({ text: "Quarterly report\n\nRevenue grew by twelve percent.\n\nMilvus served every query in time.", format: "docx" });
    }
  });

  it("reports a broken document as an invalid file", async () => {
    const notWord = await failure({ bytes: makeZip({ "word/document.xml": "<not-word/>" }), filename: "fake.docx" });
    expect(InvalidFileError.isInstance(notWord)).toBe(true);
    expect(notWord.message).toContain("could not be read as a DOCX");
    const truncated = (await makeDocx("Title", ["Body"])).subarray(0, 100);
    expect(InvalidFileError.isInstance(await failure({ bytes: truncated, filename: "truncated.docx" }))).toBe(true);
  });
});

describe("parseFile: unsupported and invalid files", () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

  it.each([
    [{ bytes: png, filename: "photo.png", contentType: "image/png" }, "an image (image/png)"],
    [{ bytes: png, filename: "upload" }, "a PNG image (detected by content)"],
    [{ bytes: makeZip({ "readme.txt": "hi" }), filename: "bundle.zip" }, "an archive (.zip)"],
    [{ bytes: makeZip({ "readme.txt": "hi" }), filename: "upload", contentType: "application/octet-stream" }, "a ZIP archive"],
    [{ bytes: makeZip({ "xl/workbook.xml": "<workbook/>" }), filename: "upload" }, "an Excel spreadsheet (.xlsx)"],
    [{ bytes: new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1]), filename: "old.doc" }, "a legacy Word document (.doc)"],
    [{ bytes: new Uint8Array([0x00, 0x01, 0x02, 0xfe, 0x80, 0x00]), filename: "blob" }, "binary data of an unknown type"],
  ])("rejects %# as unsupported, saying what it is", async (input, detected) => {
    const error = await failure(input);
    expect(UnsupportedFileError.isInstance(error)).toBe(true);
    expect(error.toBody()).toMatchObject({ error: { type: "invalid_request_error", code: "unsupported_file", param: "file" } });
    expect(error.status).toBe(400);
    expect(error.message).toContain(detected);
    expect(error.message).toContain(JSON.stringify(input.filename));
  });

  it("reads a .csv labelled as an Excel file by Windows", async () => {
    expect(await parseFile({ bytes: utf8("a,b\n1,2\n"), filename: "export.csv", contentType: "application/vnd.ms-excel" })).toEqual({
      text: "a: 1 | b: 2",
      format: "csv",
    });
  });

  it("rejects empty, blank and non-UTF-8 files as invalid", async () => {
    const empty = await failure({ bytes: new Uint8Array(), filename: "empty.txt" });
    expect(InvalidFileError.isInstance(empty)).toBe(true);
    expect(empty.message).toContain("empty (0 bytes)");
    expect((await failure({ bytes: utf8(" \n\t\n"), filename: "blank.md" })).message).toContain("contains no text");
    const latin1 = await failure({ bytes: new Uint8Array([0x63, 0x61, 0x66, 0xe9]), filename: "latin1.txt", contentType: "text/plain" });
    expect(latin1.code).toBe("invalid_file");
    expect(latin1.message).toContain("not UTF-8 text");
    expect((await failure({ bytes: new Uint8Array([0x61, 0x00, 0x62, 0x00]), filename: "utf16.txt" })).message).toContain("NUL");
  });

  it("stops when the signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(parseFile({ bytes: makePdf([["text"]]), filename: "a.pdf" }, { signal: controller.signal })).rejects.toSatisfy((error) =>
      AbortedError.isInstance(error),
    );
  });
});
