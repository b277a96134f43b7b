import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import type { DownloadProgress } from '@dtrain/data';

/** Redraws per second: smooth enough to read, cheap next to a training step. */
const PROGRESS_FPS = 5;

/**
 * Progress bars on stderr (downloads, epochs). Disabled, every method is a no-op and log lines go
 * straight to stderr; enabled, log lines are printed above the bars so neither garbles the other.
 */
export interface CliProgress {
  readonly enabled: boolean;
  /** The log sink: a finished line, printed above the bars. */
  writeLine(line: string): void;
  download(p: DownloadProgress): void;
  /** A new bar for 1-based `epoch`; `total` in `unit`s (samples or batches). */
  startEpoch(epoch: number, epochs: number, total: number, unit: string): void;
  /** Moves the current epoch bar to `value` with a short status (loss, rate). */
  updateEpoch(value: number, info: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Usually `stderr.isTTY && !json`. */
  enabled: boolean;
  stream?: NodeJS.WriteStream;
}

const human = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} kB` : `${n} B`);

export function createProgress(options: ProgressOptions): CliProgress {
  const stream = options.stream ?? process.stderr;
  const plain = (line: string): void => void stream.write(line + '\n');
  if (!options.enabled) {
    const noop = (): void => undefined;
    return { enabled: false, writeLine: plain, download: noop, startEpoch: noop, updateEpoch: noop, stop: noop };
  }
  let multi: MultiBar | undefined;
  const downloads = new Map<string, SingleBar>();
  let epochBar: SingleBar | undefined;
  let epochUnit = '';
  let stopped = false;
  let lastDraw = 0;
  // cli-progress redraws on a timer, which never fires while a training loop holds the event loop
  // (`dtrain train` steps synchronously): redraw from the update itself when a frame is due.
  const maybeDraw = (): void => {
    const now = performance.now();
    if (multi && now - lastDraw >= 1000 / PROGRESS_FPS) {
      lastDraw = now;
      multi.update();
    }
  };
  const bars = (): MultiBar =>
    (multi ??= new MultiBar(
      {
        stream,
        fps: PROGRESS_FPS,
        clearOnComplete: false,
        // Our own SIGINT handlers stop the run; cli-progress must not install its own.
        gracefulExit: false,
        hideCursor: false,
        format: ' {label} |{bar}| {percentage}% · {shown} · {info}',
        barsize: 30,
      },
      Presets.shades_classic,
    ));
  return {
    enabled: true,
    writeLine(line) {
      if (!multi || stopped) return plain(line);
      multi.log(line + '\n');
      multi.update();
    },
    download(p) {
      if (stopped) return;
      const total = p.totalBytes ?? Math.max(p.receivedBytes, 1);
      let bar = downloads.get(p.file);
      const payload = { label: `download ${p.file}`, shown: `${human(p.receivedBytes)} / ${p.totalBytes === undefined ? '?' : human(p.totalBytes)}`, info: '' };
      if (!bar) {
        bar = bars().create(total, p.receivedBytes, payload);
        downloads.set(p.file, bar);
      } else {
        bar.setTotal(total);
        bar.update(p.receivedBytes, payload);
      }
      maybeDraw();
    },
    startEpoch(epoch, epochs, total, unit) {
      if (stopped) return;
      // One epoch bar at a time: the finished epoch is summed up by its "epoch done" log line.
      if (epochBar) multi?.remove(epochBar);
      epochUnit = unit;
      epochBar = bars().create(Math.max(1, total), 0, { label: `epoch ${epoch}/${epochs}`, shown: `0/${total} ${unit}`, info: '' });
    },
    updateEpoch(value, info) {
      if (!epochBar || stopped) return;
      const total = epochBar.getTotal();
      epochBar.update(Math.min(value, total), { shown: `${Math.min(value, total)}/${total} ${epochUnit}`, info });
      maybeDraw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi?.stop();
    },
  };
}
