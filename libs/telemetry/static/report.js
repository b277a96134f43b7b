// The offline report: the run's data is inlined as JSON next to this script; draw the curves from it.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dtrain-data').textContent);
  var curves = window.DtrainCharts.createCurves(document.getElementById('loss-chart'), document.getElementById('acc-chart'));
  curves.update(data.steps, data.epochs);
})();
