import { bearerHeader, bearerSubprotocols } from '@dtrain/protocol';
import type { HostStats, SocketEvents, WorkerHost, WorkerSocket } from '@dtrain/worker-runtime';

/**
 * A browser tab as a worker's host: the page's WebSocket, with the token offered as a bearer
 * subprotocol (a page cannot set the Authorization header). A refused upgrade reaches a page only
 * as a close with code 1006 before it opened, like a server that is down; the page cannot see the
 * status, so it asks `tokenUrl` (the server answers 401 for a wrong token, 204 otherwise) and
 * reports a refusal only when that says so, a plain close (and a reconnect) otherwise.
 */
export function browserHost(tokenUrl: string): WorkerHost {
  return {
    pid: undefined,
    host: 'browser',
    stats(): HostStats {
      // Chromium exposes the JS heap; elsewhere the figure is unknown.
      const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
      return { rssBytes: Math.round(heap ?? 0) };
    },
    openSocket(url: string, token: string | undefined, _maxFrameBytes: number, events: SocketEvents): WorkerSocket {
      const ws = token !== undefined ? new WebSocket(url, bearerSubprotocols(token)) : new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      let opened = false;
      let live = true;
      ws.onopen = () => {
        opened = true;
        if (live) events.open();
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (live && ev.data instanceof ArrayBuffer) events.message(new Uint8Array(ev.data));
      };
      ws.onerror = () => {
        if (live) events.error('WebSocket error');
      };
      ws.onclose = (ev: CloseEvent) => {
        if (!live) return;
        if (opened || token === undefined || ev.code !== 1006) return events.close(ev.code, ev.reason);
        void fetch(tokenUrl, { headers: { authorization: bearerHeader(token) } }).then(
          (res) => (res.status === 401 ? events.refused(401) : events.close(ev.code, ev.reason)),
          () => events.close(ev.code, ev.reason),
        );
      };
      return {
        get open() {
          return ws.readyState === WebSocket.OPEN;
        },
        send: (frame) => ws.send(frame),
        close: (code, reason) => ws.close(code, reason),
        detach: () => {
          live = false;
          ws.close();
        },
      };
    },
  };
}
