/**
 * What a worker needs from where it runs: a socket to the server and a few facts about itself.
 * A Node process (node-host.ts: `ws`, process stats) and a browser tab (the page's WebSocket,
 * no process) each provide one, so the worker's life (join, compute, push, reconnect) is one code.
 */

/** What the socket reports; `refused` is an HTTP status at the upgrade (401: the token). */
export interface SocketEvents {
  open(): void;
  message(frame: Uint8Array): void;
  refused(status: number): void;
  close(code: number, reason: string): void;
  error(message: string): void;
}

export interface WorkerSocket {
  readonly open: boolean;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /** No more events: the worker has ended. */
  detach(): void;
}

/** A figure the host may not know (a browser has no RSS) is left out of the heartbeat. */
export interface HostStats {
  rssBytes: number;
  peakRssBytes?: number;
  /** CPU time of this process, ms (Node only). */
  cpuMs?: number;
}

export interface WorkerHost {
  /** Opens a connection; the token goes in the upgrade (header or subprotocol) when there is one. */
  openSocket(url: string, token: string | undefined, maxFrameBytes: number, events: SocketEvents): WorkerSocket;
  /** Sent in the join's capabilities. */
  readonly pid: number | undefined;
  readonly host: string;
  stats(): HostStats;
}
