import type { Command } from 'commander';
import { Option } from 'commander';

/**
 * One command-line flag, defined once: its syntax, the flags field commander fills, its default,
 * its help text, its validator, and where its value goes in the options a command builds. Adding a
 * flag is one row (plus its field in the flags type); help, parsing and the options follow from it.
 */
export interface FlagRow<F, O> {
  /** The camelCase field commander sets (checked against `flag` when the row is added). */
  readonly field: keyof F & string;
  /** Commander syntax: `--max-frame-bytes <n>`, `--resume [dir]`, `--insecure`. */
  readonly flag: string;
  readonly doc: string;
  readonly parse?: (raw: string) => unknown;
  readonly default?: unknown;
  /** Commander refuses the command without it (after the default, e.g. from the environment). */
  readonly required?: boolean;
  /** Puts the flag's value into the options; rows without it are read by hand (they combine with others). */
  readonly to?: (options: O, value: never) => void;
}

/** A typed row: the validator, default and setter agree with the field's type. */
export function flagRow<F, O, K extends keyof F & string>(
  field: K,
  flag: string,
  doc: string,
  extra: { parse?: (raw: string) => F[K]; default?: F[K]; required?: boolean; to?: (options: O, value: F[K]) => void } = {},
): FlagRow<F, O> {
  return { field, flag, doc, ...extra } as FlagRow<F, O>;
}

/** Adds every row to `cmd`, in order. Throws (a programming error) when a row's field is not the one commander derives. */
export function addFlagTable<F, O>(cmd: Command, rows: readonly FlagRow<F, O>[], defaults: Partial<Record<keyof F & string, unknown>> = {}): Command {
  for (const r of rows) {
    const opt = new Option(r.flag, r.doc);
    if (opt.attributeName() !== r.field) throw new Error(`flag table: ${r.flag} fills ${opt.attributeName()}, not ${r.field}`);
    if (r.parse) opt.argParser(r.parse);
    const d = r.field in defaults ? defaults[r.field] : r.default;
    if (d !== undefined) opt.default(d);
    if (r.required) opt.makeOptionMandatory(true);
    cmd.addOption(opt);
  }
  return cmd;
}

/** Writes each row's value from the parsed flags into `options` (rows with a setter). */
export function applyFlagTable<F, O>(flags: F, rows: readonly FlagRow<F, O>[], options: O): O {
  for (const r of rows) r.to?.(options, flags[r.field] as never);
  return options;
}
