import type { Logger } from '@dtrain/common';

/**
 * The worker's log in the page: each record as a line in the log element and in the console (so a
 * test driving the browser can read it), the newest `keep` lines kept.
 */
export function pageLogger(el: HTMLElement | null, keep = 200, base: Record<string, unknown> = {}): Logger {
  const write = (level: string, msg: string, fields: Record<string, unknown> = {}): void => {
    const line = `${level} ${msg} ${JSON.stringify({ ...base, ...fields })}`;
    (level === 'error' || level === 'warn' ? console.warn : console.info)(`dtrain: ${line}`);
    if (!el) return;
    const div = document.createElement('div');
    div.textContent = line;
    el.prepend(div);
    while (el.childElementCount > keep) el.lastElementChild?.remove();
  };
  return {
    debug: () => undefined,
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => pageLogger(el, keep, { ...base, ...fields }),
  };
}
