import { BadRequestError, queryText, type SearchPage } from "@vs/core";
import type { GuardrailEntry } from "./config/config.js";

/** The guardrails that apply to one store, compiled once at start (no regex is built per request). */
export interface StoreGuardrails {
  /** Throws a 400 naming the guardrail when the query may not run. */
  checkQuery(query: string | string[]): void;
  /** Redacts in place: result text and string attributes. */
  redact(page: SearchPage): SearchPage;
  readonly active: boolean;
}

interface Compiled {
  name: string;
  stores: Set<string> | null;
  block?: RegExp[];
  redact?: { patterns: RegExp[]; replacement: string };
  maxCharacters?: number;
}

export class Guardrails {
  private readonly compiled: Compiled[];
  private readonly byStore = new Map<string, StoreGuardrails>();

  constructor(entries: GuardrailEntry[]) {
    this.compiled = entries.map(({ guardrail_name: name, litellm_params: params }) => {
      const stores = params.vector_stores ? new Set(params.vector_stores) : null;
      if (params.guardrail === "max_query_length") return { name, stores, maxCharacters: params.max_characters };
      const patterns = params.patterns.map((pattern) => new RegExp(pattern, params.flags.includes("g") ? params.flags : `${params.flags}g`));
      return params.guardrail === "block_patterns"
        ? { name, stores, block: patterns }
        : { name, stores, redact: { patterns, replacement: params.replacement } };
    });
  }

  forStore(storeName: string): StoreGuardrails {
    let guardrails = this.byStore.get(storeName);
    if (!guardrails) {
      guardrails = compose(this.compiled.filter((entry) => entry.stores === null || entry.stores.has(storeName)));
      this.byStore.set(storeName, guardrails);
    }
    return guardrails;
  }
}

function compose(applicable: Compiled[]): StoreGuardrails {
  const redactions = applicable.flatMap((entry) => (entry.redact ? [entry.redact] : []));
  const redactText = (text: string) => {
    let result = text;
    for (const { patterns, replacement } of redactions) for (const pattern of patterns) result = result.replace(pattern, replacement);
    return result;
  };
  return {
    active: applicable.length > 0,
    checkQuery(query) {
      const text = queryText(query);
      for (const entry of applicable) {
        if (entry.maxCharacters !== undefined && text.length > entry.maxCharacters) {
          throw new BadRequestError(`query: longer than ${entry.maxCharacters} characters (guardrail "${entry.name}")`, {
            param: "query",
            code: "guardrail_blocked",
          });
        }
        for (const pattern of entry.block ?? []) {
          pattern.lastIndex = 0;
          if (pattern.test(text)) throw new BadRequestError(`query: blocked by guardrail "${entry.name}"`, { param: "query", code: "guardrail_blocked" });
        }
      }
    },
    redact(page) {
      if (redactions.length === 0) return page;
      for (const row of page.data) {
        for (const content of row.content) content.text = redactText(content.text);
        for (const [key, value] of Object.entries(row.attributes)) if (typeof value === "string") row.attributes[key] = redactText(value);
      }
      return page;
    },
  };
}
