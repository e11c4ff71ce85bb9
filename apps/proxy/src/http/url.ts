import type { MiddlewareHandler } from "hono";
import { BadRequestError } from "@vs/core";
import type { Env } from "./context.js";

const ENCODED_NUL = /%00/i;

/**
 * A `%00` in the path or the query is refused before any route sees it: names from the URL (a store, an index, a
 * key or alias in `?key=`) are looked up in PostgreSQL, which stores no NUL, so they would fail there as an outage.
 */
export function refuseNulInUrl(): MiddlewareHandler<Env> {
  return async function refuseEncodedNul(c, next) {
    const url = c.req.url;
    if (ENCODED_NUL.test(url) || url.includes("\u0000")) {
      const parsed = new URL(url);
      const query = [...parsed.searchParams].find(([name, value]) => name.includes("\u0000") || value.includes("\u0000"));
      const param = query ? query[0].replaceAll("\u0000", "\\u0000") : "path";
      throw new BadRequestError(`${param}: contains a NUL character (%00), which no name can contain.`, { param, code: "invalid_character" });
    }
    await next();
  };
}
