import { Parser } from "htmlparser2";

/** Elements whose content is not readable text (the <title> in <head> is collected on its own). */
const SKIPPED = new Set(["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "head"]);
/** Elements that make a paragraph of their own. */
const BLOCKS = new Set([
  "p",
  "div",
  "section",
  "article",
  "header",
  "footer",
  "main",
  "nav",
  "aside",
  "blockquote",
  "ul",
  "ol",
  "dl",
  "dt",
  "dd",
  "table",
  "figure",
  "figcaption",
  "form",
  "fieldset",
  "address",
  "details",
  "summary",
  "caption",
  "pre",
  "hr",
  "body",
]);
const HEADINGS: Readonly<Record<string, number>> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/**
 * HTML as readable text: scripts, styles and other non-text content dropped; the <title> first; headings as
 * Markdown-style `#` lines and paragraphs separated by a blank line, so the chunker and a reader still see the
 * document's structure; list items as `- ` lines, table rows as lines with ` | ` between cells; `<pre>` kept verbatim.
 */
export function htmlToText(html: string): string {
  const output: string[] = [];
  let skipDepth = 0;
  let preDepth = 0;
  let inTitle = false;
  let title = "";
  const tail = (): string => output.at(-1) ?? "";
  const breakLine = (blankLine: boolean): void => {
    const last = tail();
    if (last === "" || last === "\n\n") return;
    if (last === "\n") {
      if (blankLine) output[output.length - 1] = "\n\n";
      return;
    }
    output.push(blankLine ? "\n\n" : "\n");
  };
  const append = (text: string): void => {
    if (text !== "") output.push(text);
  };

  const parser = new Parser(
    {
      onopentag(name) {
        if (name === "title" && title === "") inTitle = true;
        if (SKIPPED.has(name)) skipDepth += 1;
        if (skipDepth > 0) return;
        const level = HEADINGS[name];
        if (level !== undefined) {
          breakLine(true);
          append(`${"#".repeat(level)} `);
        } else if (name === "li") {
          breakLine(false);
          append("- ");
        } else if (name === "tr") {
          breakLine(false);
        } else if (name === "td" || name === "th") {
          const last = tail();
          if (last !== "" && !last.endsWith("\n")) append(" | ");
        } else if (name === "br") {
          append("\n");
        } else if (BLOCKS.has(name)) {
          breakLine(true);
        }
        if (name === "pre") preDepth += 1;
      },
      ontext(raw) {
        if (inTitle) title += raw;
        if (skipDepth > 0) return;
        if (preDepth > 0) {
          append(raw);
          return;
        }
        let text = raw.replace(/\s+/g, " ");
        const last = tail();
        if (last === "" || last.endsWith("\n") || last.endsWith(" ")) text = text.trimStart();
        append(text);
      },
      onclosetag(name) {
        if (name === "title") inTitle = false;
        if (SKIPPED.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth > 0) return;
        if (name === "pre") preDepth = Math.max(0, preDepth - 1);
        if (HEADINGS[name] !== undefined || BLOCKS.has(name)) breakLine(true);
        else if (name === "li" || name === "tr") breakLine(false);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  const body = output
    .join("")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  const heading = title.replace(/\s+/g, " ").trim();
  return heading === "" || body.startsWith(heading) ? body : `${heading}\n\n${body}`.trim();
}
