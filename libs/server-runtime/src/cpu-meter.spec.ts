import { describe, expect, it } from 'vitest';
import { createCpuMeter } from './cpu-meter';

const step = (n: number) => ({ step: n, version: n, loss: 1, samples: 64, stepMs: 50, epoch: 0 });

describe('createCpuMeter', () => {
  it('counts from the first step on and leaves out evaluations between epochs', () => {
    let cpu = 0;
    const m = createCpuMeter(() => cpu);
    expect(m.perStep()).toBeUndefined();
    cpu = 1000; // start-up and the warm-up step
    m.events.stepCompleted(step(1));
    expect(m.perStep()).toBeUndefined();
    cpu = 1030;
    m.events.stepCompleted(step(2));
    cpu = 1060;
    m.events.stepCompleted(step(3));
    expect(m.perStep()).toBe(30);
    cpu = 1560; // an evaluation of 500 ms after epoch 1's last step
    m.events.epochCompleted(0, {} as never);
    cpu = 1590;
    m.events.stepCompleted(step(4));
    expect(m.perStep()).toBe(30);
    cpu = 2590; // the final evaluation, after the last step: outside the window anyway
    m.events.epochCompleted(1, {} as never);
    expect(m.perStep()).toBe(30);
  });

  it('reads the real process CPU by default', () => {
    const m = createCpuMeter();
    m.events.stepCompleted(step(1));
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i % 7;
    m.events.stepCompleted(step(2));
    expect(x).toBeGreaterThan(0);
    expect(m.perStep()).toBeGreaterThan(1);
  });
});
