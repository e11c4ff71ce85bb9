import type { MiddlewareHandler } from "hono";
import { BadRequestError, ForbiddenError, UnauthorizedError } from "@vs/core";
import { matchesDigest } from "../master-key.js";
import type { Caller, Env } from "./context.js";

/** Looks up a virtual key. `null` = no such key (or expired/blocked); throws when it cannot tell (database down). */
export interface VirtualKeyResolver {
  resolve(key: string): Promise<Extract<Caller, { kind: "virtual" }> | null>;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/**
 * Every route but health needs `Authorization: Bearer <key>`: the master key (compared in constant time) or a
 * virtual key. A resolver failure propagates as 503: it never lets a request through.
 */
export function authenticate(options: { masterKeyDigest: Buffer; virtualKeys: VirtualKeyResolver | null }): MiddlewareHandler<Env> {
  const { masterKeyDigest, virtualKeys } = options;
  return async function authenticateCaller(c, next) {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new UnauthorizedError("Missing API key. Send 'Authorization: Bearer <key>'.", "missing_api_key");
    // Node's parser refuses a NUL in a header; this keeps the rule where the app runs on another server.
    if (token.includes("\u0000"))
      throw new BadRequestError("Authorization: contains a NUL character, which no key contains.", { param: "Authorization", code: "invalid_character" });
    if (matchesDigest(token, masterKeyDigest)) {
      c.set("caller", { kind: "master", alias: "master" });
    } else {
      const caller = virtualKeys ? await virtualKeys.resolve(token) : null;
      if (!caller) throw new UnauthorizedError("Invalid, expired or deleted API key.", "invalid_api_key");
      c.set("caller", caller);
    }
    await next();
  };
}

export function requireMaster(): MiddlewareHandler<Env> {
  return async function requireMasterKey(c, next) {
    if (c.get("caller").kind !== "master") throw new ForbiddenError("This route needs the master key.", { code: "admin_only" });
    await next();
  };
}
