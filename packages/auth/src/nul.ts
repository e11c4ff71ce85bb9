import { BadRequestError } from "@vs/core";

/**
 * PostgreSQL stores no U+0000 in `text` or `jsonb` and refuses the whole statement, which would surface as an
 * outage. Inputs are checked here, before the database, and refused naming the field.
 */
export function hasNul(text: string): boolean {
  return text.includes("\u0000");
}

/** The path (`metadata.team[2]`) of the first string or key holding a NUL, or null. Walks with a stack, not recursion. */
export function findNul(value: unknown): string | null {
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: "" }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === "string") {
      if (hasNul(current)) return path;
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) pending.push({ value: current[index], path: `${path}[${index}]` });
    } else if (current !== null && typeof current === "object") {
      for (const [key, item] of Object.entries(current).reverse()) {
        const keyPath = path === "" ? key : `${path}.${key}`;
        if (hasNul(key)) return keyPath.replaceAll("\u0000", "\\u0000");
        pending.push({ value: item, path: keyPath });
      }
    }
  }
  return null;
}

export function assertNoNul(value: unknown, prefix = ""): void {
  const found = findNul(value);
  if (found === null) return;
  const param = prefix === "" ? found : found === "" ? prefix : `${prefix}.${found}`;
  throw new BadRequestError(`${param || "input"}: contains a NUL character (U+0000), which cannot be stored.`, {
    param: param || null,
    code: "invalid_character",
  });
}

/** For rows the proxy writes about requests (a URL path, an alias): a NUL becomes U+FFFD rather than losing the row. */
export function withoutNul(text: string): string {
  return hasNul(text) ? text.replaceAll("\u0000", "\uFFFD") : text;
}
