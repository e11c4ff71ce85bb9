import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";

/** Who is calling: the admin (master key) or a virtual key (its stored record, never the key itself). */
export type Caller =
  | { kind: "master"; alias: "master" }
  | {
      kind: "virtual";
      alias: string | null;
      token: string;
      models: string[];
      indexes: Array<{ index_name: string; index_permissions: Array<"read" | "write"> }>;
      /** May create vector stores (`/key/generate` `can_create_vector_stores`). */
      canCreateVectorStores?: boolean;
      limits?: KeyLimits | undefined;
    };

/** A key's rate limits and budget as read with it (so a change reaches every process within the key cache's TTL). */
export interface KeyLimits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  max_budget: number | null;
  soft_budget: number | null;
  budget_duration: string | null;
  budget_started_at: string;
}

/** Fields a route adds to the request's one log line (and its spend row). */
export interface RequestRecord {
  vector_store?: string;
  index_name?: string;
  result_count?: number;
  embedding_ms?: number;
  upstream_ms?: number;
  embedding_tokens?: number;
  embedding_cost_usd?: number;
  error_code?: string;
  /** Which upstream failed and its own code (bounded: a status, a Milvus or provider code, `timeout`, `unreachable`). */
  upstream_failure?: { upstream: string; code: string };
}

/** A text a virtual key must not see in an error (a real collection name, an address), and what it sees instead. */
export interface Concealment {
  text: string;
  replacement: string;
}

export interface Env {
  /** Under @hono/node-server: Node's own request and response (absent when the app runs elsewhere, e.g. `app.request()`). */
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  Variables: {
    requestId: string;
    startedAt: number;
    caller: Caller;
    record: RequestRecord;
    logger: Logger;
    /** Set by routes that know them; read when an error becomes an answer. */
    concealed: Concealment[];
  };
}
