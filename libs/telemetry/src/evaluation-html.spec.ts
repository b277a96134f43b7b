import { describe, expect, it } from 'vitest';
import { confusionHeatmap, evaluationHtml, perClassTable } from './evaluation-html';
import { escapeHtml, jsonForScript } from './html-escape';
import { fakeReport } from './testing';

const cells = (html: string): string[] => [...html.matchAll(/<td class="(?:hit|miss)"[^>]*>(\d+)<\/td>/g)].map((m) => m[1]!);

describe('evaluation HTML', () => {
  it('prints every cell of the confusion matrix, row by row, diagonal marked as hits', () => {
    const r = fakeReport();
    const html = confusionHeatmap(r, ['zero', 'one', 'two']);
    expect(cells(html)).toEqual(r.confusion.flat().map(String));
    expect([...html.matchAll(/class="hit"/g)]).toHaveLength(3);
    expect(html).toContain('<th scope="row">two</th>');
  });

  it('shades a cell by its share of the row', () => {
    // Row "one": 2 of 3 right → 0.667 blue; row "zero": 3 of 3 → 1.
    const html = confusionHeatmap(fakeReport(), ['0', '1', '2']);
    expect(html).toContain('rgba(37,99,235,1.000)');
    expect(html).toContain('rgba(37,99,235,0.667)');
    // An empty row does not divide by zero.
    const empty = { ...fakeReport(), confusion: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] };
    expect(confusionHeatmap(empty, [])).not.toContain('NaN');
  });

  it('lists precision, recall, F1 and support per class and the macro average', () => {
    const r = fakeReport();
    const html = perClassTable(r, ['zero', 'one', 'two']);
    expect(html).toContain(`<td>${r.perClass[2]!.f1.toFixed(4)}</td>`);
    expect(html).toContain(`<td>${r.macro.f1.toFixed(4)}</td>`);
    expect(html).toContain(`<td>${r.count}</td>`);
  });

  it('escapes class names from users’ files', () => {
    const html = evaluationHtml(fakeReport(), ['<script>alert(1)</script>', 'a&b', '"q"']);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a&amp;b');
    expect(html).toContain('&quot;q&quot;');
  });

  it('falls back to class indices when names are missing', () => {
    expect(perClassTable(fakeReport(), [])).toContain('<th scope="row">2</th>');
  });
});

describe('html escaping', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps JSON inside a script element from closing it, and still parses to the same value', () => {
    const value = { s: '</script><script>alert(1)</script><!-- \u2028 & >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<\/script/i);
    expect(text).not.toContain('<!--');
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual(value);
  });
});
