import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Graceful shutdown of an HTTP/1.1 server with keep-alive clients. `server.close()` alone stops accepting and closes
 * the connections idle at that moment, but a connection busy then stays open after its answer for as long as the
 * client keeps it (and takes further requests), so the process cannot exit; closing sockets instead resets the
 * requests in flight. Here each request in flight, and any that arrives on an open connection during the drain, is
 * answered with `Connection: close`, which ends its connection once the answer is out.
 */
export class ConnectionDrainer {
  private readonly inFlight = new Set<ServerResponse>();
  private draining: Promise<DrainOutcome> | undefined;

  constructor(private readonly server: Server) {
    // Before the app's own listener, so the header is set before the app can write its answer.
    server.prependListener("request", (_request, response: ServerResponse) => {
      this.inFlight.add(response);
      response.once("close", () => this.inFlight.delete(response));
      if (this.draining) closeConnectionAfter(response);
    });
  }

  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  /**
   * Stops accepting, lets every request in flight finish, and resolves when the last connection is closed — or at
   * `deadlineMs`, when the remaining connections are cut (their requests are lost: the grace period is over).
   */
  drain(deadlineMs: number): Promise<DrainOutcome> {
    this.draining ??= new Promise<DrainOutcome>((resolve) => {
      const inFlightAtStart = this.inFlight.size;
      let cut = 0;
      const timer = setTimeout(() => {
        cut = this.inFlight.size;
        this.server.closeAllConnections();
      }, deadlineMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve({ inFlightAtStart, cut });
      });
      for (const response of this.inFlight) closeConnectionAfter(response);
      this.server.closeIdleConnections();
    });
    return this.draining;
  }
}

export interface DrainOutcome {
  /** Requests being answered when the drain began. */
  inFlightAtStart: number;
  /** Requests still unanswered at the deadline, whose connections were cut. */
  cut: number;
}

function closeConnectionAfter(response: ServerResponse): void {
  if (!response.headersSent) {
    response.setHeader("connection", "close");
    return;
  }
  // Its headers already promised keep-alive: end the connection once this answer is complete.
  const socket = response.socket as Socket | null;
  if (response.writableFinished) socket?.end();
  else response.once("finish", () => socket?.end());
}
