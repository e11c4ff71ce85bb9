/**
 * Child-process entry: creates an embedded database directory (PGlite's initdb) and exits. The proxy runs it before
 * opening a new directory, so that initdb's memory — the WebAssembly heap grows to several hundred MB and never
 * shrinks, and V8 compiles the hot parts of PostgreSQL while it runs — is returned to the system when this process
 * ends, instead of staying the proxy's for its whole life. Usage: `node pglite-initdb.js <directory>`.
 */
import { PGlite } from "@electric-sql/pglite";

const directory = process.argv[2];
if (directory === undefined || directory === "") {
  process.stderr.write("usage: pglite-initdb <directory>\n");
  process.exit(2);
}
const database = await PGlite.create({ dataDir: directory });
await database.close();
