import { createRequire } from 'node:module';

/** A metric family as parse-prometheus-text-format returns it (values stay strings, as in the text). */
export interface PromFamily {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { value?: string; labels?: Record<string, string>; count?: string; sum?: string; buckets?: Record<string, string> }[];
}

/** Prometheus text exposition through a real parser (the package ships no types, hence this wrapper). */
export function parsePrometheusText(text: string): PromFamily[] {
  return (createRequire(import.meta.url)('parse-prometheus-text-format') as (t: string) => PromFamily[])(text);
}

/** Value of the first sample of `name` (a histogram's count); throws when the family is absent. */
export function promValue(families: readonly PromFamily[], name: string): number {
  const f = families.find((x) => x.name === name);
  if (!f || f.metrics.length === 0) throw new Error(`no metric ${name}`);
  return Number(f.metrics[0]!.value ?? f.metrics[0]!.count);
}
