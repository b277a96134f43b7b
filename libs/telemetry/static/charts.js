// Loss and accuracy curves on uPlot, shared by the live dashboard and the offline report.
// Plain browser script (no modules): the report inlines it next to uPlot's IIFE build.
(function () {
  'use strict';

  var COLORS = { train: '#2563eb', trainMean: '#0f766e', test: '#dc2626', trainAcc: '#0f766e' };

  function sortedUnique(values) {
    var out = values.slice().sort(function (a, b) { return a - b; });
    return out.filter(function (v, i) { return i === 0 || v !== out[i - 1]; });
  }

  // uPlot wants one shared x array; step points and epoch points live at different steps, so
  // both are placed on the union of their steps and each series has nulls where it has no value.
  function align(xs, seriesList) {
    var index = new Map();
    xs.forEach(function (x, i) { index.set(x, i); });
    return [xs].concat(seriesList.map(function (s) {
      var arr = new Array(xs.length).fill(null);
      s.forEach(function (p) { arr[index.get(p[0])] = p[1]; });
      return arr;
    }));
  }

  function lossData(steps, epochs) {
    var xs = sortedUnique(steps.map(function (p) { return p.step; }).concat(epochs.map(function (e) { return e.step; })));
    return align(xs, [
      steps.map(function (p) { return [p.step, p.loss]; }),
      epochs.filter(function (e) { return e.trainLoss !== null; }).map(function (e) { return [e.step, e.trainLoss]; }),
      epochs.filter(function (e) { return e.testLoss !== null; }).map(function (e) { return [e.step, e.testLoss]; }),
    ]);
  }

  function accuracyData(epochs, lastStep) {
    // The latest update is on the x axis (with no value) so this chart spans what the loss chart spans.
    var xs = sortedUnique([0, lastStep || 0].concat(epochs.map(function (e) { return e.step; })));
    return align(xs, [
      epochs.filter(function (e) { return e.trainAccuracy !== null; }).map(function (e) { return [e.step, e.trainAccuracy]; }),
      epochs.map(function (e) { return [e.step, e.testAccuracy]; }),
    ]);
  }

  function widthOf(el) {
    return Math.max(280, Math.floor(el.clientWidth || 600));
  }

  function series(label, color, opts) {
    var s = { label: label, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 6 } };
    for (var k in opts) s[k] = opts[k];
    return s;
  }

  function makeChart(el, title, yLabel, seriesDefs, yRange, fmt) {
    var opts = {
      width: widthOf(el),
      height: 260,
      title: title,
      // Both charts span updates 0..last, so the loss and accuracy curves line up above each other.
      scales: { x: { time: false, range: function (u, min, max) { return [0, Math.max(1, max)]; } }, y: yRange ? { range: yRange } : {} },
      // Updates are whole numbers: no 0.2-step ticks on a short run.
      axes: [{ label: 'update (step)', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000] }, { label: yLabel, values: function (u, vals) { return vals.map(fmt); } }],
      series: [{ label: 'step' }].concat(seriesDefs),
      legend: { live: true },
    };
    var data = [[]].concat(seriesDefs.map(function () { return []; }));
    return new uPlot(opts, data, el);
  }

  function pct(v) { return v == null ? '' : (v * 100).toFixed(0) + '%'; }
  function num(v) { return v == null ? '' : String(+(+v).toPrecision(3)); }

  /** Two charts (loss, accuracy) bound to elements; `update(steps, epochs)` redraws with all points. */
  function createCurves(lossEl, accEl) {
    var loss = makeChart(lossEl, 'Loss', 'cross-entropy', [
      series('train (per update)', COLORS.train, { width: 1, points: { show: false } }),
      series('train (epoch mean)', COLORS.trainMean, { dash: [6, 4] }),
      series('test', COLORS.test, {}),
    ], null, num);
    var acc = makeChart(accEl, 'Accuracy', 'accuracy', [
      series('train (subset)', COLORS.trainAcc, {}),
      series('test', COLORS.test, {}),
    ], [0, 1], pct);
    function resize() {
      loss.setSize({ width: widthOf(lossEl), height: 260 });
      acc.setSize({ width: widthOf(accEl), height: 260 });
    }
    window.addEventListener('resize', resize);
    return {
      update: function (steps, epochs) {
        var ld = lossData(steps, epochs);
        loss.setData(ld);
        var last = steps.length ? steps[steps.length - 1].step : 0;
        acc.setData(accuracyData(epochs, last));
        // Counts for people and tests: how many points each chart is drawing.
        lossEl.dataset.points = String(steps.length);
        accEl.dataset.points = String(epochs.length);
      },
      resize: resize,
    };
  }

  window.DtrainCharts = { createCurves: createCurves, lossData: lossData, accuracyData: accuracyData };
})();
