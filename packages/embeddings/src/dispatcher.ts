import { Agent, type Dispatcher } from "undici";

let sharedAgent: Agent | undefined;

/**
 * The process-wide keep-alive agent. An undici `Agent` keeps one connection pool per origin, so every model
 * pointing at the same endpoint reuses the same warm connections instead of paying a TLS handshake per request.
 */
export function sharedDispatcher(): Dispatcher {
  sharedAgent ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
  return sharedAgent;
}
