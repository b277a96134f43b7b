import { processCpuMs } from '@dtrain/common';
import type { CoordinatorEvents } from '@dtrain/coordinator';

export interface CpuMeter {
  /** Feed these to the coordinator. */
  readonly events: Pick<CoordinatorEvents, 'stepCompleted' | 'epochCompleted'>;
  /** CPU ms per step after the first, evaluation between epochs left out; undefined before two steps. */
  perStep(): number | undefined;
}

/**
 * The parameter server's own CPU per training step, for the step-time breakdown: where a step's
 * wall time is limited by the machine's cores rather than by waiting, the sum of every process's CPU
 * per step says so. Counted from the first step's end (warm-up is the workers' start-up); the CPU of
 * each between-epoch evaluation (from an epoch's last step to its report) is taken out.
 */
export function createCpuMeter(cpuMs: () => number = processCpuMs): CpuMeter {
  let first: { cpu: number; step: number } | undefined;
  let last: { cpu: number; step: number } | undefined;
  /** Evaluation CPU inside [first, last]; `pending` is an evaluation no step has followed yet. */
  let excluded = 0;
  let pending = 0;
  return {
    events: {
      stepCompleted(e) {
        const now = { cpu: cpuMs(), step: e.step };
        if (!first) first = now;
        else last = now;
        excluded += pending;
        pending = 0;
      },
      epochCompleted() {
        const ref = last ?? first;
        if (ref) pending = cpuMs() - ref.cpu;
      },
    },
    perStep() {
      if (!first || !last || last.step <= first.step) return undefined;
      return (last.cpu - first.cpu - excluded) / (last.step - first.step);
    },
  };
}
