import type { z } from "zod";
import { BadRequestError } from "./errors.js";

/** `a.b[2].c` — the path of a field as a client would write it. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Every problem of a zod error, one per line, each led by the path of its field. */
export function describeIssues(error: z.ZodError, prefix = ""): { message: string; firstPath: string | null } {
  const lines: string[] = [];
  let firstPath: string | null = null;
  const visit = (issues: ReadonlyArray<z.core.$ZodIssue>, base: ReadonlyArray<PropertyKey>) => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      // A union that failed deeper inside one of its branches (a nested filter with a bad `type`): report that
      // branch's problems, which name the exact field, instead of "matches no alternative".
      if (issue.code === "invalid_union" && issue.errors.length > 0) {
        const depth = (branch: ReadonlyArray<z.core.$ZodIssue>) =>
          Math.max(0, ...branch.map((inner) => inner.path.length + (inner.code === "invalid_union" ? 1 : 0)));
        const deepest = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
        if (depth(deepest) > 0) {
          visit(deepest, path);
          continue;
        }
      }
      const keys = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...path, key]) : [path];
      for (const keyPath of keys) {
        const where = formatPath(keyPath, prefix);
        firstPath ??= where === "" ? null : where;
        const message = issue.code === "unrecognized_keys" ? "unknown field" : issue.message;
        lines.push(where === "" ? message : `${where}: ${message}`);
      }
    }
  };
  visit(error.issues, []);
  return { message: lines.join("; "), firstPath };
}

/**
 * Parses our own input (a request body, SDK parameters, a config file). On failure throws a 400
 * `BadRequestError` whose message names every bad field and whose `param` is the first of them.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, options: { prefix?: string; what?: string } = {}): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { message, firstPath } = describeIssues(result.error, options.prefix);
  throw new BadRequestError(options.what ? `Invalid ${options.what}: ${message}` : `Invalid request: ${message}`, {
    param: firstPath,
    code: "invalid_request",
  });
}
