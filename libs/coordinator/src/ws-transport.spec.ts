import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BEARER_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL, bearerSubprotocols } from '@dtrain/protocol';
import type { ListeningTransport } from './ws-transport';
import { listen } from './ws-transport';

// The upgrade's token check over a real socket: the header Node clients send, and the subprotocol
// a browser sends (it cannot set headers on a WebSocket).

const TOKEN = 'transport-test-token-0123456789';

type Outcome = { open: true; protocol: string; echoed: string | undefined } | { open: false; status: number };

function attempt(url: string, protocols: string[] | undefined, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols ?? [], { headers });
    let echoed: string | undefined;
    ws.once('upgrade', (res) => {
      echoed = res.headers['sec-websocket-protocol'];
    });
    ws.once('open', () => {
      resolve({ open: true, protocol: ws.protocol, echoed });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => resolve({ open: false, status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

describe('ws transport: the token at the upgrade', () => {
  let transport: ListeningTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
  });

  async function start(): Promise<{ url: string; checked: string[] }> {
    const checked: string[] = [];
    transport = await listen(
      {
        host: '127.0.0.1',
        port: 0,
        maxFrameBytes: 1024 * 1024,
        tls: undefined,
        authenticate: (token) => {
          checked.push(token);
          return { ok: token === TOKEN, holdMs: 0 };
        },
      },
      { connect: () => undefined, frame: () => undefined, disconnect: () => undefined },
    );
    return { url: transport.url, checked };
  }

  it('admits the right token as a bearer subprotocol, and selects dtrain.v1 so the token is not echoed', async () => {
    const { url, checked } = await start();
    const r = await attempt(url, bearerSubprotocols(TOKEN));
    expect(r).toEqual({ open: true, protocol: WS_SUBPROTOCOL, echoed: WS_SUBPROTOCOL });
    // Offered in the other order, still ours is selected (ws would otherwise take the first: the token).
    const reversed = await attempt(url, bearerSubprotocols(TOKEN).reverse());
    expect(reversed).toEqual({ open: true, protocol: WS_SUBPROTOCOL, echoed: WS_SUBPROTOCOL });
    expect(checked).toEqual([TOKEN, TOKEN]);
  });

  it('refuses a wrong or undecodable subprotocol token with 401, before a WebSocket exists', async () => {
    const { url, checked } = await start();
    expect(await attempt(url, bearerSubprotocols('a-wrong-token-of-enough-length'))).toEqual({ open: false, status: 401 });
    expect(await attempt(url, [WS_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}a`])).toEqual({ open: false, status: 401 });
    // The undecodable one never reached the token check.
    expect(checked).toEqual(['a-wrong-token-of-enough-length']);
  });

  it('checks the Authorization header as before, and lets a request that presents nothing through to the join', async () => {
    const { url, checked } = await start();
    expect(await attempt(url, undefined, { authorization: `Bearer ${TOKEN}` })).toMatchObject({ open: true });
    expect(await attempt(url, undefined, { authorization: 'Basic abc' })).toEqual({ open: false, status: 401 });
    expect(await attempt(url, undefined)).toMatchObject({ open: true, protocol: '' });
    expect(checked).toEqual([TOKEN]);
  });
});
