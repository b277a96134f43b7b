import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { initEngine } from '@dtrain/engine';
import { getFlatWeights, loadModel, weightManifest } from '@dtrain/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, removeTempDirs, runDtrain, spawnDtrain, tempDir, waitForLine } from './cluster-harness';

/** A small, quick fine-tuning job: MNIST-pretrained model → Fashion-MNIST with a new head. */
const TARGET = ['--dataset', 'fashion-mnist', '--train-limit', '500', '--test-limit', '300', '--epochs', '1', '--lr', '0.002'];

let pretrained: string;

async function weightsByLayer(dir: string): Promise<Map<string, Float32Array>> {
  const { model } = await loadModel(dir);
  const flat = getFlatWeights(model);
  const out = new Map(weightManifest(model).entries.map((e) => [e.name, flat.slice(e.offset, e.offset + e.size)]));
  model.dispose();
  return out;
}

const same = (a: Float32Array | undefined, b: Float32Array | undefined): boolean => !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);

describe('dtrain finetune', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'auto' });
    pretrained = await tempDir('pretrained');
    const r = await runDtrain(['train', '--train-limit', '1000', '--epochs', '1', '--test-limit', '200', '--out', pretrained, '--json'], 120_000);
    expect(r.code).toBe(0);
  }, 130_000);

  afterAll(async () => {
    await killChildren();
    await removeTempDirs();
  });

  it('replaces the head, keeps frozen layers bit-identical, trains the rest with spawned workers, and reports before/after', async () => {
    const out = await tempDir('finetuned');
    const r = await runDtrain(['finetune', '--from', pretrained, '--new-head', '10', '--freeze', 'conv', '--workers', '2', ...TARGET, '--out', out, '--json'], 120_000);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ mode: 'bsp', workers: 2, dataset: 'fashion-mnist', new_head: 10, frozen: ['conv'], finetuned_from: pretrained });
    const before = r.json['before_test_accuracy'] as number;
    const after = r.json['test_accuracy'] as number;
    // A fresh random head is at chance; one short epoch of the head and fc1 is well above it.
    expect(before).toBeLessThan(0.3);
    expect(after).toBeGreaterThan(before + 0.2);
    const pre = await weightsByLayer(pretrained);
    const ft = await weightsByLayer(out);
    for (const name of ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias']) expect(same(ft.get(name), pre.get(name)), name).toBe(true);
    expect(same(ft.get('fc1/kernel'), pre.get('fc1/kernel'))).toBe(false);
    expect(ft.get('logits/kernel')?.length).toBe(128 * 10);
    // Only the weights that train travel (225,034 less conv's 18,816): each worker's pushes, and every
    // weights frame after its first, full one. Plus ~250 bytes of framing per step.
    const trainable = 225_034 - 18_816;
    const steps = r.json['steps'] as number;
    const perStep = (2 * 4 * (225_034 + (steps - 1) * trainable + steps * trainable)) / steps;
    expect(r.json['bytes_per_step'] as number).toBeGreaterThan(perStep);
    expect(r.json['bytes_per_step'] as number).toBeLessThan(perStep + 2_000);
  }, 120_000);

  it('waits for external workers with --workers 0', async () => {
    const token = randomBytes(12).toString('hex');
    const out = await tempDir('finetuned-external');
    const ft = spawnDtrain(['finetune', '--from', pretrained, '--new-head', '10', '--workers', '0', '--external-workers', '1', '--port', '0', '--host', '127.0.0.1', '--token', token, ...TARGET, '--out', out, '--json']);
    const port = Number((await waitForLine(ft, /listening on \S+ \(port (\d+)\)/, 60_000))[1]);
    const worker = spawnDtrain(['worker', '--server', `ws://127.0.0.1:${port}`, '--token', token, '--log-level', 'warn']);
    expect(await ft.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    const summary = JSON.parse(ft.stdout.at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary).toMatchObject({ workers: 1, new_head: 10, frozen: [] });
    expect(summary['test_accuracy'] as number).toBeGreaterThan(summary['before_test_accuracy'] as number);
    expect((await loadModel(out)).config.numClasses).toBe(10);
  }, 120_000);

  it('refuses a --freeze that names no layer, and a head that does not fit the dataset (exit 2)', async () => {
    const typo = await runDtrain(['finetune', '--from', pretrained, '--freeze', 'convv', '--workers', '1', ...TARGET, '--out', join(pretrained, 'x')], 60_000);
    expect(typo.code).toBe(2);
    const head = await runDtrain(['finetune', '--from', pretrained, '--new-head', '5', '--workers', '1', ...TARGET, '--out', join(pretrained, 'y')], 60_000);
    expect(head.code).toBe(2);
    expect(head.stderr.join('\n')).toContain('CONFIG_ERR_BAD_VALUE');
  }, 120_000);
});
