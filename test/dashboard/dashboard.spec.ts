import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, promValue } from './prometheus-text';
import type { LocalRun } from './local-run';
import { eventually, startLocalRun } from './local-run';

const CHROMIUM = process.env['DTRAIN_CHROMIUM'] ?? '/usr/bin/chromium';
/** Debian's Chromium, headless, and quiet: no network of its own, no first-run, no sync. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DTRAIN_BIN = fileURLToPath(new URL('../../bin/dtrain.js', import.meta.url));
const WORKERS = 2;
const EPOCHS = 3;

let run: LocalRun;
let outDir: string;
let profileDir: string;
let dashboardUrl: string;
let serverPort: number;
let browser: BrowserContext;
let page: Page;

const points = async (chart: 'loss-chart' | 'acc-chart'): Promise<number> => Number((await page.getAttribute(`#${chart}`, 'data-points')) ?? 0);
const metricsAt = async (url: string) => parsePrometheusText(await (await fetch(url)).text());

describe('dashboard, metrics and report of a local run', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set DTRAIN_CHROMIUM)`);
    await mkdir(ARTIFACTS, { recursive: true });
    outDir = await mkdtemp(join(tmpdir(), 'dtrain-dashboard-run-'));
    profileDir = await mkdtemp(join(tmpdir(), 'dtrain-chromium-profile-'));
    run = startLocalRun([
      ...['--workers', String(WORKERS), '--epochs', String(EPOCHS), '--train-limit', '3000', '--test-limit', '500'],
      ...['--out', outDir, '--dashboard-port', '0', '--log-format', 'json', '--log-level', 'info'],
    ]);
    dashboardUrl = (await run.waitForLine(/dtrain dashboard on (http:\/\/\S+)/, 60_000))[1]!;
    serverPort = Number((await run.waitForLine(/"port":(\d+).*"msg":"parameter server listening"/, 60_000))[1]);
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 1000 },
    });
    page = await browser.newPage();
    await page.goto(dashboardUrl);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await run?.stop();
    await rm(profileDir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
  });

  it('shows the curves gaining points while training runs, and a table of the workers', async () => {
    const first = await eventually(async () => ((await points('loss-chart')) >= 1 ? points('loss-chart') : undefined), 60_000, 'a first loss point');
    expect(await page.textContent('#state')).toBe('training');
    await eventually(async () => ((await points('loss-chart')) > first ? true : undefined), 30_000, 'more loss points');
    const rows = page.locator('#workers-body tr[data-worker]');
    await eventually(async () => ((await rows.count()) === WORKERS ? true : undefined), 15_000, `${WORKERS} worker rows`);
    expect((await rows.allTextContents()).every((t) => t.includes('active'))).toBe(true);
    expect(await page.textContent('#conn')).toBe('live');
    // A picture of the run in flight, once the first epoch's evaluation is in.
    await eventually(async () => ((await points('acc-chart')) >= 1 ? true : undefined), 60_000, 'the first evaluation');
    if ((await page.textContent('#state')) !== 'finished') await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });
  }, 90_000);

  it('serves Prometheus metrics on the server port and the dashboard port, and its counters move during the run', async () => {
    const main = `http://127.0.0.1:${serverPort}`;
    const a = await metricsAt(`${main}/metrics`);
    const stepsA = promValue(a, 'dtrain_steps_total');
    const bytesA = promValue(a, 'dtrain_bytes_received_total');
    const b = await eventually(async () => {
      const m = await metricsAt(`${main}/metrics`);
      return promValue(m, 'dtrain_steps_total') > stepsA ? m : undefined;
    }, 30_000, 'dtrain_steps_total to grow');
    expect(promValue(b, 'dtrain_samples_total')).toBeGreaterThan(promValue(a, 'dtrain_samples_total'));
    expect(promValue(b, 'dtrain_bytes_received_total')).toBeGreaterThan(bytesA);
    expect(promValue(b, 'dtrain_active_workers')).toBe(WORKERS);
    expect(promValue(b, 'dtrain_step_duration_seconds')).toBeGreaterThan(0);
    expect(b.find((f) => f.name === 'dtrain_rejected_frames_total')?.type).toBe('COUNTER');
    expect(promValue(await metricsAt(new URL('metrics', dashboardUrl).href), 'dtrain_steps_total')).toBeGreaterThanOrEqual(promValue(b, 'dtrain_steps_total'));
    // The Kubernetes probes on the main port are still there.
    expect(await (await fetch(`${main}/healthz`)).text()).toBe('ok\n');
    expect(((await (await fetch(`${main}/readyz`)).json()) as { state: string }).state).toMatch(/training|evaluating/);
  }, 60_000);

  it('ends with the final per-class metrics and confusion matrix on the page', async () => {
    // The page closes its stream when the server sends the final result.
    await eventually(async () => ((await page.textContent('#conn')) === 'run finished' ? true : undefined), 120_000, 'the final result');
    expect(await page.textContent('#state')).toBe('finished');
    expect(await page.textContent('#eval-title')).toContain('Final evaluation');
    expect(await page.locator('table.confusion tbody td').count()).toBe(100);
    expect(await page.locator('table.per-class tbody tr').count()).toBe(10);
    expect(await points('acc-chart')).toBe(EPOCHS);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-final.png'), fullPage: true });
    expect(await run.exited).toBe(0);
  }, 150_000);

  it('renders the run with dtrain report: one HTML file with the curves’ data and the confusion matrix', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [DTRAIN_BIN, 'report', outDir, '--json']);
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { report: string; epochs: number };
    expect(r.epochs).toBe(EPOCHS);
    const html = await readFile(r.report, 'utf8');
    const history = (await readFile(join(outDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const epochs = history.filter((h) => h['type'] === 'epoch') as { point: { testAccuracy: number } }[];
    const summary = history.find((h) => h['type'] === 'summary') as { report: { confusion: number[][] } };
    const data = JSON.parse(/<script type="application\/json" id="dtrain-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { steps: unknown[]; epochs: { testAccuracy: number }[] };
    expect(data.epochs.map((e) => e.testAccuracy)).toEqual(epochs.map((e) => e.point.testAccuracy));
    expect(data.steps.length).toBeGreaterThan(10);
    const cells = [...html.matchAll(/<td class="(?:hit|miss)"[^>]*>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(cells).toEqual(summary.report.confusion.flat());
    // It draws offline: open the file, charts render from the inlined data.
    const reportPage = await browser.newPage();
    await reportPage.goto(`file://${r.report}`);
    await eventually(async () => (Number(await reportPage.getAttribute('#loss-chart', 'data-points')) === data.steps.length ? true : undefined), 10_000, 'report charts');
    expect(await reportPage.locator('#loss-chart canvas').count()).toBe(1);
    await reportPage.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
  }, 60_000);
});
