import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase, initializeInChildProcess } from "./database.js";

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe("the embedded database's initdb", () => {
  it("runs in a child process, leaving a directory the proxy then opens and uses", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "vs-initdb-"));
    directories.push(dataDir);
    const directory = path.join(dataDir, "pglite");
    expect(await initializeInChildProcess(directory)).toBe(true);
    expect(existsSync(path.join(directory, "PG_VERSION"))).toBe(true);
    const connection = await connectDatabase({ dataDir, log: () => undefined });
    try {
      const rows = await connection.inTransaction((session) => session.query<{ answer: number }>("SELECT 40 + 2 AS answer"));
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await connection.close();
    }
  }, 120_000);
});
