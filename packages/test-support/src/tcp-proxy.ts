import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of a real server, to stage the network failures a real server does not
 * produce on demand: a server that stops answering (`freeze`) and connections that drop (`dropConnections`).
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #connections = new Set<{ downstream: Socket; upstream: Socket; heldReplies: Buffer[] }>();
  #frozen = false;

  constructor(upstreamHost: string, upstreamPort: number) {
    this.#server = createServer((downstream) => {
      const upstream = connect(upstreamPort, upstreamHost);
      const connection = { downstream, upstream, heldReplies: [] as Buffer[] };
      this.#connections.add(connection);
      downstream.pipe(upstream);
      upstream.on("data", (chunk: Buffer) => {
        if (this.#frozen) connection.heldReplies.push(chunk);
        else downstream.write(chunk);
      });
      const closeBoth = (): void => {
        this.#connections.delete(connection);
        downstream.destroy();
        upstream.destroy();
      };
      downstream.on("error", closeBoth).on("close", closeBoth);
      upstream.on("error", closeBoth).on("close", closeBoth);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Replies stop reaching the client (they wait in the relay), as from a server that hangs. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Delivers the held replies and relays again. */
  thaw(): void {
    this.#frozen = false;
    for (const connection of this.#connections) {
      for (const chunk of connection.heldReplies.splice(0)) connection.downstream.write(chunk);
    }
  }

  dropConnections(): void {
    for (const { downstream, upstream } of this.#connections) {
      downstream.destroy();
      upstream.destroy();
    }
    this.#connections.clear();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
