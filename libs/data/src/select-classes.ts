import { imageSize } from './dataset';
import type { Dataset } from './dataset';
import { DataError } from './data-error';

/** The prefix of a dataset spec that keeps some classes: `classes:5-9:mnist`, `classes:0,2,4:fashion-mnist`. */
export const CLASSES_PREFIX = 'classes:';

/** Parses `5-9`, `0,2,4` or `1-3,7` into the classes, in the order given (duplicates refused). */
export function parseClassList(text: string, numClasses?: number): number[] {
  const out: number[] = [];
  const bad = (why: string): never => {
    throw new DataError('DATA_ERR_BAD_SPEC', `class list '${text}': ${why} (e.g. 5-9 or 0,2,4)`, { classes: text });
  };
  if (text.trim() === '') bad('empty');
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,4})\s*(?:-\s*(\d{1,4})\s*)?$/.exec(part);
    if (!m) bad(`'${part}' is not a class or a range`);
    const lo = Number(m![1]);
    const hi = m![2] === undefined ? lo : Number(m![2]);
    if (hi < lo) bad(`range ${lo}-${hi} runs backwards`);
    for (let c = lo; c <= hi; c++) {
      if (out.includes(c)) bad(`class ${c} given twice`);
      if (numClasses !== undefined && c >= numClasses) bad(`class ${c} does not exist (the dataset has ${numClasses})`);
      out.push(c);
    }
  }
  if (out.length < 2) bad('keep at least two classes');
  return out;
}

/** Splits `classes:LIST:SPEC` into the list and the inner spec; undefined for a spec without the prefix. */
export function splitClassesSpec(spec: string): { classes: string; inner: string } | undefined {
  if (!spec.startsWith(CLASSES_PREFIX)) return undefined;
  const rest = spec.slice(CLASSES_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw new DataError('DATA_ERR_BAD_SPEC', `'${spec}': expected classes:LIST:DATASET`, { spec });
  return { classes: rest.slice(0, colon), inner: rest.slice(colon + 1) };
}

/**
 * The samples of `ds` whose class is in `classes`, relabelled 0..k−1 in that order (class names
 * follow), in their original order. Copies the kept images.
 */
export function selectClasses(ds: Dataset, classes: readonly number[]): Dataset {
  const map = new Int16Array(ds.numClasses).fill(-1);
  classes.forEach((c, i) => (map[c] = i));
  let n = 0;
  for (let i = 0; i < ds.count; i++) if (map[ds.labels[i]!]! >= 0) n++;
  const px = imageSize(ds);
  const images = new Uint8Array(n * px);
  const labels = new Uint8Array(n);
  let k = 0;
  for (let i = 0; i < ds.count; i++) {
    const to = map[ds.labels[i]!]!;
    if (to < 0) continue;
    images.set(ds.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k++] = to;
  }
  return { ...ds, name: `${ds.name}[${classes.join(',')}]`, images, labels, count: n, numClasses: classes.length, classNames: classes.map((c) => ds.classNames[c] ?? String(c)) };
}

/** Both splits with only `classes`. */
export function selectClassSplits<S extends { train: Dataset; test: Dataset; source: string }>(s: S, list: string): S {
  const classes = parseClassList(list, s.train.numClasses);
  return { ...s, train: selectClasses(s.train, classes), test: selectClasses(s.test, classes), source: `${s.source}, classes ${list}` };
}

