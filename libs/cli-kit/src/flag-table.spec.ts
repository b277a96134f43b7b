import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addFlagTable, applyFlagTable, flagRow } from './flag-table';
import { intArg } from './common-flags';

interface Flags {
  maxThings: number;
  name?: string;
}
interface Options {
  limits: { things: number };
  label: string;
}

describe('flag tables', () => {
  const rows = [
    flagRow<Flags, Options, 'maxThings'>('maxThings', '--max-things <n>', 'things at most', { parse: intArg('--max-things'), default: 8, to: (o, v) => (o.limits.things = v) }),
    flagRow<Flags, Options, 'name'>('name', '--name <s>', 'a label', { to: (o, v) => (o.label = v ?? 'none') }),
  ];

  it('adds, parses, defaults and applies each row', () => {
    const cmd = addFlagTable(new Command('t').exitOverride(), rows);
    cmd.parse(['--name', 'x'], { from: 'user' });
    expect(applyFlagTable(cmd.opts<Flags>(), rows, { limits: { things: 0 }, label: '' })).toEqual({ limits: { things: 8 }, label: 'x' });
    const withDefault = addFlagTable(new Command('t').exitOverride(), rows, { maxThings: 3 });
    withDefault.parse([], { from: 'user' });
    expect(applyFlagTable(withDefault.opts<Flags>(), rows, { limits: { things: 0 }, label: '' })).toEqual({ limits: { things: 3 }, label: 'none' });
  });

  it('refuses a row whose field is not the one commander fills', () => {
    const wrong = flagRow<Flags, Options, 'maxThings'>('maxThings', '--max-thing <n>', 'typo');
    expect(() => addFlagTable(new Command('t'), [wrong])).toThrow(/--max-thing <n> fills maxThing, not maxThings/);
  });
});
