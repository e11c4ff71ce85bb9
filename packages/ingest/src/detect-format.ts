import { UnsupportedFileError } from "./errors.js";

export type FileFormat = "text" | "markdown" | "html" | "json" | "csv" | "pdf" | "docx";

export interface FileDescription {
  bytes: Uint8Array;
  filename: string;
  contentType?: string | undefined;
}

/** What a file was recognised as: a format we parse, or a description of why we do not. */
type Recognition = { format: FileFormat } | { unsupported: string } | null;

const SUPPORTED = "Supported: text (including source code), Markdown, HTML, JSON, CSV, PDF and DOCX.";

const DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const CONTENT_TYPES: Readonly<Record<string, FileFormat | string>> = {
  "text/plain": "text",
  "text/markdown": "markdown",
  "text/x-markdown": "markdown",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "application/json": "json",
  "text/json": "json",
  "text/csv": "csv",
  "application/csv": "csv",
  "text/tab-separated-values": "csv",
  "application/pdf": "pdf",
  "application/x-pdf": "pdf",
  [DOCX_CONTENT_TYPE]: "docx",
  "application/javascript": "text",
  "application/typescript": "text",
  "application/x-sh": "text",
  "application/x-python": "text",
  "application/x-yaml": "text",
  "application/yaml": "text",
  "application/xml": "text",
  "application/x-tex": "text",
  "application/sql": "text",
  "application/zip": "a ZIP archive",
  "application/x-zip-compressed": "a ZIP archive",
  "application/gzip": "a gzip archive",
  "application/x-tar": "a tar archive",
  "application/x-7z-compressed": "a 7-Zip archive",
  "application/vnd.rar": "a RAR archive",
  "application/msword": "a legacy Word document (.doc); save it as .docx",
  "application/vnd.ms-excel": "an Excel spreadsheet; export it as CSV",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an Excel spreadsheet (.xlsx); export it as CSV",
  "application/vnd.ms-powerpoint": "a PowerPoint presentation",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "a PowerPoint presentation (.pptx)",
  "application/rtf": "an RTF document",
  "application/epub+zip": "an EPUB book",
};

/** Content types that say nothing about the bytes: the extension and then the bytes decide. */
const GENERIC_CONTENT_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream", "application/unknown", "application/x-unknown"]);

const TEXT_EXTENSIONS = [
  "txt",
  "text",
  "log",
  "rst",
  "adoc",
  "org",
  "tex",
  "jsonl",
  "ndjson",
  "xml",
  "yaml",
  "yml",
  "toml",
  "ini",
  "cfg",
  "conf",
  "env",
  "sql",
  "css",
  "scss",
  "less",
  "srt",
  "vtt",
  "py",
  "js",
  "mjs",
  "cjs",
  "ts",
  "mts",
  "cts",
  "tsx",
  "jsx",
  "java",
  "kt",
  "kts",
  "scala",
  "go",
  "rs",
  "rb",
  "php",
  "c",
  "h",
  "cc",
  "cpp",
  "cxx",
  "hpp",
  "cs",
  "swift",
  "m",
  "mm",
  "r",
  "pl",
  "lua",
  "sh",
  "bash",
  "zsh",
  "ps1",
  "bat",
  "vue",
  "svelte",
  "graphql",
  "proto",
  "dart",
  "ex",
  "exs",
  "erl",
  "hs",
  "clj",
  "ml",
  "fs",
  "jl",
  "tf",
  "gradle",
  "dockerfile",
  "makefile",
];

const EXTENSIONS: Readonly<Record<string, FileFormat | string>> = {
  ...Object.fromEntries(TEXT_EXTENSIONS.map((extension) => [extension, "text"])),
  md: "markdown",
  markdown: "markdown",
  mdx: "markdown",
  html: "html",
  htm: "html",
  xhtml: "html",
  json: "json",
  csv: "csv",
  tsv: "csv",
  pdf: "pdf",
  docx: "docx",
  ...Object.fromEntries(
    ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "ico", "heic", "heif", "avif", "svg"].map((extension) => [
      extension,
      `an image (.${extension})`,
    ]),
  ),
  ...Object.fromEntries(["mp3", "wav", "flac", "ogg", "m4a", "aac"].map((extension) => [extension, `an audio file (.${extension})`])),
  ...Object.fromEntries(["mp4", "mov", "avi", "mkv", "webm"].map((extension) => [extension, `a video (.${extension})`])),
  ...Object.fromEntries(["zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz"].map((extension) => [extension, `an archive (.${extension})`])),
  ...Object.fromEntries(["exe", "dll", "so", "dylib", "bin", "class", "jar", "wasm", "o", "a"].map((extension) => [extension, `a binary (.${extension})`])),
  doc: "a legacy Word document (.doc); save it as .docx",
  xls: "an Excel spreadsheet (.xls); export it as CSV",
  xlsx: "an Excel spreadsheet (.xlsx); export it as CSV",
  ppt: "a PowerPoint presentation (.ppt)",
  pptx: "a PowerPoint presentation (.pptx)",
  odt: "an OpenDocument text (.odt); save it as .docx",
  ods: "an OpenDocument spreadsheet (.ods); export it as CSV",
  rtf: "an RTF document (.rtf); save it as .docx",
  epub: "an EPUB book (.epub)",
};

/**
 * Decides how to parse a file: by its content type, then its extension, then its first bytes. A generic or unknown
 * content type (application/octet-stream) defers to the extension; the bytes (magic numbers, else valid UTF-8 text)
 * decide only when neither declares anything. Throws `UnsupportedFileError` naming what was detected and how.
 */
export function detectFormat(file: FileDescription): FileFormat {
  const contentType = normalizeContentType(file.contentType);
  const extension = extensionOf(file.filename);
  const declared: Array<[Recognition, string]> = [
    [recognizeContentType(contentType), `content type ${contentType}`],
    [recognize(EXTENSIONS[extension]), `extension .${extension}`],
  ];
  // "application/vnd.ms-excel" is how Windows labels .csv files: an unsupported content type still lets a supported
  // extension decide. What the uploader declared outranks a guess from the bytes.
  for (const [recognition] of declared) if (recognition !== null && "format" in recognition) return recognition.format;
  const [recognition, source] = declared.find(([declaration]) => declaration !== null) ?? [sniffBytes(file.bytes), "content"];
  if (recognition !== null && "format" in recognition) return recognition.format;
  if (recognition !== null) {
    throw new UnsupportedFileError(`Unsupported file ${quote(file.filename)}: ${recognition.unsupported} (detected by ${source}). ${SUPPORTED}`);
  }
  throw new UnsupportedFileError(`Unsupported file ${quote(file.filename)}: binary data of an unknown type. ${SUPPORTED}`);
}

function recognizeContentType(contentType: string): Recognition {
  if (GENERIC_CONTENT_TYPES.has(contentType)) return null;
  const known = recognize(CONTENT_TYPES[contentType]);
  if (known !== null) return known;
  if (contentType.endsWith("+json")) return { format: "json" };
  if (contentType.startsWith("text/")) return { format: "text" };
  const [family] = contentType.split("/");
  if (family === "image" || family === "audio" || family === "video" || family === "font")
    return { unsupported: `${family === "image" || family === "audio" ? `an ${family}` : `a ${family}`} (${contentType})` };
  return null;
}

function recognize(verdict: FileFormat | string | undefined): Recognition {
  if (verdict === undefined) return null;
  return isFileFormat(verdict) ? { format: verdict } : { unsupported: verdict };
}

const FORMATS: ReadonlySet<string> = new Set<FileFormat>(["text", "markdown", "html", "json", "csv", "pdf", "docx"]);
function isFileFormat(value: string): value is FileFormat {
  return FORMATS.has(value);
}

function normalizeContentType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return base.toLowerCase() === "dockerfile" || base.toLowerCase() === "makefile" ? base.toLowerCase() : "";
  return base.slice(dot + 1).toLowerCase();
}

function quote(filename: string): string {
  return JSON.stringify(filename.length > 200 ? `${filename.slice(0, 200)}…` : filename);
}

/** Signatures at the start of a file, for what the content type and the extension did not settle. */
const SIGNATURES: ReadonlyArray<[readonly number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x47, 0x49, 0x46, 0x38], "a GIF image"],
  [[0x49, 0x49, 0x2a, 0x00], "a TIFF image"],
  [[0x4d, 0x4d, 0x00, 0x2a], "a TIFF image"],
  [[0xd0, 0xcf, 0x11, 0xe0], "a legacy Microsoft Office file (.doc, .xls or .ppt); save it as .docx or CSV"],
  [[0x1f, 0x8b], "a gzip archive"],
  [[0x37, 0x7a, 0xbc, 0xaf], "a 7-Zip archive"],
  [[0x52, 0x61, 0x72, 0x21], "a RAR archive"],
  [[0x7f, 0x45, 0x4c, 0x46], "an executable (ELF)"],
  [[0x4d, 0x5a], "an executable (Windows)"],
  [[0x49, 0x44, 0x33], "an MP3 audio file"],
  [[0x4f, 0x67, 0x67, 0x53], "an Ogg audio file"],
  [[0x66, 0x4c, 0x61, 0x43], "a FLAC audio file"],
  [[0x7b, 0x5c, 0x72, 0x74, 0x66], "an RTF document; save it as .docx"],
  [[0x00, 0x61, 0x73, 0x6d], "a WebAssembly module"],
];

export function sniffBytes(bytes: Uint8Array): Recognition {
  if (bytes.length === 0) return null;
  // The PDF specification lets readers accept a header anywhere in the first 1024 bytes.
  if (indexOfAscii(bytes, "%PDF-", 1024) !== -1) return { format: "pdf" };
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return recognizeZip(bytes);
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46])) return { unsupported: "a RIFF media file (WebP, WAV or AVI)" };
  if (bytes.length >= 12 && asciiAt(bytes, 4, "ftyp")) return { unsupported: "an MP4/QuickTime/HEIC media file" };
  for (const [signature, description] of SIGNATURES) if (startsWith(bytes, signature)) return { unsupported: description };
  return looksLikeText(bytes) ? { format: "text" } : null;
}

/** Entry names in a ZIP are stored uncompressed, so a byte search finds the part that tells the Office format. */
function recognizeZip(bytes: Uint8Array): Recognition {
  if (indexOfAscii(bytes, "word/document.xml") !== -1) return { format: "docx" };
  if (indexOfAscii(bytes, "xl/workbook.xml") !== -1) return { unsupported: "an Excel spreadsheet (.xlsx); export it as CSV" };
  if (indexOfAscii(bytes, "ppt/presentation.xml") !== -1) return { unsupported: "a PowerPoint presentation (.pptx)" };
  if (indexOfAscii(bytes, "application/vnd.oasis.opendocument") !== -1) return { unsupported: "an OpenDocument file" };
  if (indexOfAscii(bytes, "application/epub+zip") !== -1) return { unsupported: "an EPUB book" };
  return { unsupported: "a ZIP archive" };
}

/** Valid UTF-8 (or UTF-16 with a byte order mark) without NUL bytes, judged on the first 64 KiB. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  let sample = bytes.subarray(0, 65536);
  if (sample.includes(0)) return false;
  // Do not fail a valid file because the sample cut a multi-byte character in half.
  if (sample.length < bytes.length) {
    let end = sample.length;
    while (end > sample.length - 4 && end > 0 && (sample[end - 1]! & 0xc0) === 0x80) end -= 1;
    if (end > 0 && sample[end - 1]! >= 0xc0) end -= 1;
    sample = sample.subarray(0, end);
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(sample);
    return true;
  } catch {
    return false;
  }
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  if (bytes.length < signature.length) return false;
  return signature.every((byte, index) => bytes[index] === byte);
}

function asciiAt(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (bytes[offset + index] !== text.charCodeAt(index)) return false;
  return true;
}

function indexOfAscii(bytes: Uint8Array, text: string, limit = bytes.length): number {
  const first = text.charCodeAt(0);
  const last = Math.min(limit, bytes.length - text.length + 1);
  for (let offset = bytes.indexOf(first); offset !== -1 && offset < last; offset = bytes.indexOf(first, offset + 1)) {
    if (asciiAt(bytes, offset, text)) return offset;
  }
  return -1;
}
