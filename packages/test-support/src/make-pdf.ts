import { deflateSync } from "node:zlib";

/**
 * A real, minimal PDF 1.4 with one page per entry of `pages`, each line drawn with Helvetica; content streams
 * Flate-compressed as most producers write them. Built by hand so the test depends on no PDF writer.
 */
export function makePdf(pages: readonly (readonly string[])[], options: { compress?: boolean } = {}): Uint8Array {
  const compress = options.compress ?? true;
  const objects: Buffer[] = [];
  const pageIds = pages.map((_, index) => 4 + index * 2);
  objects.push(Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"));
  objects.push(Buffer.from(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`));
  objects.push(Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
  pages.forEach((lines, index) => {
    const contentId = pageIds[index]! + 1;
    objects.push(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`));
    const drawing = `BT /F1 12 Tf 14 TL 72 720 Td ${lines.map((line) => `(${escapePdfString(line)}) Tj T*`).join(" ")} ET`;
    const body = compress ? deflateSync(Buffer.from(drawing, "latin1")) : Buffer.from(drawing, "latin1");
    objects.push(
      Buffer.concat([Buffer.from(`<< /Length ${body.length}${compress ? " /Filter /FlateDecode" : ""} >>\nstream\n`), body, Buffer.from("\nendstream")]),
    );
  });
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(length);
    const framed = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), object, Buffer.from("\nendobj\n")]);
    parts.push(framed);
    length += framed.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`)].join(
    "",
  );
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(parts));
}

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (character) => `\\${character}`);
}
