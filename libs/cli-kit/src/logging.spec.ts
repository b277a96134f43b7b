import { describe, expect, it } from 'vitest';
import { createCliLogger, logFormatOf, prettyLine } from './logging';

function capture(format: 'json' | 'pretty' | 'auto', level: 'debug' | 'info' | 'warn' | 'silent' = 'info', isTTY = false) {
  const lines: string[] = [];
  const log = createCliLogger({ level, format, isTTY, writeLine: (l) => lines.push(l) });
  return { log, lines };
}

describe('createCliLogger', () => {
  it('writes one JSON object per line with level names, time, message and fields', () => {
    const { log, lines } = capture('json');
    log.info('worker joined', { worker: 'w1', active: 2 });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', msg: 'worker joined', worker: 'w1', active: 2, pid: process.pid });
    expect(typeof rec['time']).toBe('string');
    expect(Number.isNaN(Date.parse(rec['time'] as string))).toBe(false);
  });

  it('drops records below its level, and everything when silent', () => {
    const warn = capture('json', 'warn');
    warn.log.debug('d');
    warn.log.info('i');
    warn.log.warn('w');
    warn.log.error('e');
    expect(warn.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
    const silent = capture('json', 'silent');
    silent.log.error('e');
    expect(silent.lines).toEqual([]);
  });

  it('carries child bindings on every record of the child only', () => {
    const { log, lines } = capture('json');
    const child = log.child({ component: 'coordinator' });
    child.warn('late');
    log.warn('plain');
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'coordinator', msg: 'late' });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('component');
  });

  it('is pretty on a terminal and JSON elsewhere when the format is auto', () => {
    const tty = capture('auto', 'info', true);
    tty.log.info('hello', { n: 1 });
    expect(tty.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*INFO.* hello .*n=.*1/);
    const pipe = capture('auto', 'info', false);
    pipe.log.info('hello');
    expect(JSON.parse(pipe.lines[0]!)).toMatchObject({ msg: 'hello' });
  });
});

describe('prettyLine', () => {
  it('prints time, level, message and key=value fields, quoting strings with spaces', () => {
    const line = prettyLine({ level: 'warn', time: '2026-01-02T03:04:05.678Z', pid: 1, msg: 'worker lost', worker: 'w 1', codes: [1, 2], ok: true }, false);
    expect(line).toBe('03:04:05.678 WARN  worker lost worker="w 1" codes=[1,2] ok=true');
  });
});

describe('logFormatOf', () => {
  it('accepts auto, pretty and json and refuses anything else', () => {
    expect(logFormatOf({ logFormat: 'json' })).toBe('json');
    expect(() => logFormatOf({ logFormat: 'xml' })).toThrow(expect.objectContaining({ code: 'commander.invalidArgument' }));
  });
});
