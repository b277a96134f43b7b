import type { CoordinatorEvents } from '@dtrain/coordinator';

type Handler = (...args: never[]) => void;

/** One `CoordinatorEvents` that calls each part's handler in order (the coordinator takes only one). */
export function combineEvents(...parts: (Partial<CoordinatorEvents> | undefined)[]): Partial<CoordinatorEvents> {
  const out: Record<string, Handler> = {};
  const present = parts.filter((p): p is Partial<CoordinatorEvents> => p !== undefined);
  const names = new Set(present.flatMap((p) => Object.keys(p)));
  for (const name of names) {
    const handlers = present.map((p) => (p as Record<string, Handler | undefined>)[name]).filter((h): h is Handler => typeof h === 'function');
    out[name] = (...args: never[]) => {
      for (const h of handlers) h(...args);
    };
  }
  return out as Partial<CoordinatorEvents>;
}
