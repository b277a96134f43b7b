import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, SMALL_RUN, eventually } from '../cluster/cluster-harness';

// Browser tabs as workers, in headless Chromium: the page the server serves at /worker joins the run
// over the same protocol as a Node worker, trains with TF.js in the tab, and is refused with the
// coded error when its token is wrong. Chromium here has no GPU: WebGPU finds no adapter, WebGL runs
// on SwiftShader (software, passed over unless asked for), and the tab trains on wasm with our
// kernels; one test asks for WebGL so that path stays covered.

const CHROMIUM = process.env['DTRAIN_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'browser-worker-test-token-0123';
// A tab on software WebGL can hold its main thread (and so its heartbeats) for seconds under load: the
// 4 s timeout of the other real-process suites would count it lost mid-run, so tabs get 30 s.
const TAB_RUN = SMALL_RUN.map((a, i) => (SMALL_RUN[i - 1] === '--heartbeat-timeout-ms' ? '30000' : a));
const RUN = [...TAB_RUN, '--workers', '2', '--epochs', '1', '--train-limit', '1024', '--test-limit', '500', '--token', TOKEN, '--json', '--log-level', 'info'];

describe('browser workers (headless Chromium beside Node workers, real server process)', () => {
  const cluster = new Cluster();
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set DTRAIN_CHROMIUM)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(() => cluster.cleanup());

  async function openTab(port: number, fragment: string): Promise<{ page: Page; console: string[] }> {
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/worker#${fragment}`);
    return { page, console: lines };
  }
  const stateOf = async (page: Page): Promise<string | undefined> => (await page.getAttribute('body', 'data-state')) ?? undefined;

  it('one Node worker and one tab train a run to the accuracy of two Node workers with the same seed and global batch', async () => {
    const ref = await cluster.server(RUN, 'reference-server');
    const refWorkers = ['w1', 'w2'].map((id) => cluster.worker(ref.url, id, [], { DTRAIN_TOKEN: TOKEN }));
    expect((await ref.proc.exit(180_000)).code).toBe(0);
    for (const w of refWorkers) expect((await w.exit(30_000)).code).toBe(0);
    const refAcc = ref.proc.lastJson()['test_accuracy'] as number;

    const s = await cluster.server(RUN);
    const node = cluster.worker(s.url, 'w1', [], { DTRAIN_TOKEN: TOKEN });
    const tab = await openTab(s.port, `token=${TOKEN}&id=tab-1`);
    await s.proc.waitFor(/"worker":"tab-1".*"backend":"browser-wasm".*worker joined/, 60_000);
    expect((await s.proc.exit(240_000)).code, tab.console.slice(-10).join('\n')).toBe(0);
    expect((await node.exit(30_000)).code).toBe(0);
    await eventually(async () => ((await stateOf(tab.page)) === 'finished' ? true : undefined), 60_000, 'the tab to finish');
    // The tab was in the run to its end, not lost on the way.
    expect(s.proc.stderr.some((l) => /"worker":"tab-1".*worker (lost|left)/.test(l))).toBe(false);
    // The page shows its backend, its progress in the run and its throughput.
    expect(await tab.page.textContent('#progress')).toMatch(/^epoch 1: \d+ steps, \d+ samples, loss \d/);
    expect(await tab.page.textContent('#speed')).toMatch(/samples\/s/);
    // Software WebGL was passed over for wasm, which runs our SIMD kernels, as a Node worker does.
    expect(await tab.page.textContent('#backend')).toMatch(/^wasm \(our kernels: (simd|fma)\)$/);
    expect(tab.console.some((l) => /backend passed over.*"backend":"webgl".*software renderer/i.test(l)), tab.console.join('\n')).toBe(true);
    const summary = s.proc.lastJson();
    const acc = summary['test_accuracy'] as number;
    console.info(`browser workers: node + tab ${(acc * 100).toFixed(2)} %, two node workers ${(refAcc * 100).toFixed(2)} % (backend ${await tab.page.textContent('#backend')}, ${await tab.page.textContent('#speed')})`);
    expect(summary['workers']).toBe(2);
    expect(summary['train_samples']).toBe(1024);
    expect(Math.abs(acc - refAcc)).toBeLessThanOrEqual(0.005);
    await tab.page.close();
  }, 360_000);

  it('a tab closed mid-run leaves the run, which goes on; a reloaded tab rejoins under its id (on WebGL, asked for)', async () => {
    const s = await cluster.server(RUN.map((a, i) => (RUN[i - 1] === '--train-limit' ? '4096' : a)));
    // A slowed node worker keeps the run going long enough for the tab to come back.
    const node = cluster.worker(s.url, 'w1', ['--slow-ms', '300'], { DTRAIN_TOKEN: TOKEN });
    const first = await openTab(s.port, `token=${TOKEN}&id=tab-again&backend=webgl`);
    await s.proc.waitFor(/"worker":"tab-again".*"backend":"browser-webgl".*worker joined/, 60_000);
    await s.proc.waitFor(/training starts/, 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    await first.page.close({ runBeforeUnload: true });
    await s.proc.waitFor(/"worker":"tab-again".*worker (left|lost)/, 45_000);
    const again = await openTab(s.port, `token=${TOKEN}&id=tab-again&backend=webgl`);
    await eventually(() => (s.proc.stderr.filter((l) => /"worker":"tab-again".*worker joined/.test(l)).length >= 2 ? true : undefined), 60_000, 'the tab to rejoin');
    expect((await s.proc.exit(300_000)).code).toBe(0);
    expect((await node.exit(30_000)).code).toBe(0);
    expect(s.proc.lastJson()['train_samples']).toBe(4096);
    await again.page.close();
  }, 420_000);

  it('refuses a wrong token: the page stops with AUTH_ERR_BAD_TOKEN and the training split is not served', async () => {
    const s = await cluster.server(RUN);
    const tab = await openTab(s.port, 'token=not-the-token-of-this-run&id=tab-bad');
    await eventually(async () => ((await stateOf(tab.page)) === 'failed' ? true : undefined), 60_000, 'the tab to fail');
    expect(await tab.page.getAttribute('body', 'data-code')).toBe('AUTH_ERR_BAD_TOKEN');
    expect(await tab.page.textContent('#state')).toContain('AUTH_ERR_BAD_TOKEN');
    const data = await fetch(`http://127.0.0.1:${s.port}/worker/data/train?spec=mnist-subset`, { headers: { authorization: 'Bearer not-the-token-of-this-run' } });
    expect(data.status).toBe(401);
    const noToken = await fetch(`http://127.0.0.1:${s.port}/worker/data/train?spec=mnist-subset`);
    expect(noToken.status).toBe(401);
    // The wasm binaries are served from the installed package, and nothing else under their route.
    const wasm = await fetch(`http://127.0.0.1:${s.port}/worker/wasm/tfjs-backend-wasm-simd.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
    for (const bad of ['..%2Fpackage.json', 'tfjs-backend-wasm-threaded-simd.wasm', '']) {
      expect((await fetch(`http://127.0.0.1:${s.port}/worker/wasm/${bad}`)).status).toBe(404);
    }
    await tab.page.close();
  }, 120_000);
});
