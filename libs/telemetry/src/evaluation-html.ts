import type { EvaluationReport } from '@dtrain/training';
import { escapeHtml } from './html-escape';

/** Above this share of its row a cell is dark enough that its number is printed in white. */
const DARK_CELL = 0.55;

const f4 = (x: number): string => x.toFixed(4);

function className(names: readonly string[], c: number): string {
  return escapeHtml(names[c] ?? String(c));
}

/** Per-class precision / recall / F1 / support, with the macro average, as an HTML table. */
export function perClassTable(report: EvaluationReport, classNames: readonly string[]): string {
  const rows = report.perClass
    .map((m, c) => `<tr><th scope="row">${className(classNames, c)}</th><td>${f4(m.precision)}</td><td>${f4(m.recall)}</td><td>${f4(m.f1)}</td><td>${m.support}</td></tr>`)
    .join('');
  const m = report.macro;
  return (
    '<table class="per-class" data-testid="per-class"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>' +
    `<tbody>${rows}</tbody><tfoot><tr><th scope="row">macro avg</th><td>${f4(m.precision)}</td><td>${f4(m.recall)}</td><td>${f4(m.f1)}</td><td>${report.count}</td></tr></tfoot></table>`
  );
}

/**
 * The confusion matrix as a heat map: rows are true classes, columns predictions, and each cell's
 * shade is its share of the row (so the diagonal reads as recall whatever the class sizes).
 */
export function confusionHeatmap(report: EvaluationReport, classNames: readonly string[]): string {
  const head = report.confusion.map((_, c) => `<th scope="col">${className(classNames, c)}</th>`).join('');
  const body = report.confusion
    .map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((v, p) => {
          const share = total > 0 ? v / total : 0;
          const kind = p === t ? 'hit' : 'miss';
          const fg = share > DARK_CELL ? '#fff' : '#111';
          // Hits in blue, mistakes in red, both scaled by their share of the row.
          const bg = p === t ? `rgba(37,99,235,${share.toFixed(3)})` : `rgba(220,38,38,${Math.min(1, share * 2).toFixed(3)})`;
          return `<td class="${kind}" style="background:${bg};color:${fg}" title="true ${className(classNames, t)}, predicted ${className(classNames, p)}: ${v}">${v}</td>`;
        })
        .join('');
      return `<tr><th scope="row">${className(classNames, t)}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="confusion" data-testid="confusion"><caption>rows: true class · columns: predicted</caption><thead><tr><th>true \\ pred</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The evaluation block the dashboard shows after each epoch and the report shows at the end. */
export function evaluationHtml(report: EvaluationReport, classNames: readonly string[]): string {
  const loss = report.loss === undefined ? '' : ` · loss ${f4(report.loss)}`;
  return (
    `<p class="eval-headline">accuracy <strong>${(report.accuracy * 100).toFixed(2)}%</strong> on ${report.count} test samples · macro F1 ${f4(report.macro.f1)}${loss}</p>` +
    `<div class="eval-grid"><div>${perClassTable(report, classNames)}</div><div>${confusionHeatmap(report, classNames)}</div></div>`
  );
}
