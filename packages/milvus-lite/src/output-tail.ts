import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** Keeps the last `capacity` lines of a process's output, for error messages. */
export class OutputTail {
  private readonly kept: string[] = [];

  constructor(private readonly capacity: number) {}

  push(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.capacity) this.kept.shift();
  }

  lines(): string[] {
    return [...this.kept];
  }
}

export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (line.trim() !== "") onLine(line);
  });
}
