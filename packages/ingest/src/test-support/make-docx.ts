import { Document, HeadingLevel, Packer, Paragraph, TextRun } from "docx";

/** A real DOCX written by the `docx` package (what Word-compatible generators produce): a heading and paragraphs. */
export async function makeDocx(heading: string, paragraphs: readonly string[]): Promise<Uint8Array> {
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: heading, heading: HeadingLevel.HEADING_1 }),
          ...paragraphs.map((text) => new Paragraph({ children: [new TextRun(text)] })),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toBuffer(document));
}
