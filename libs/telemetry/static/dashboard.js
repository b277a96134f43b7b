// The live dashboard: one EventSource; a full snapshot on (re)connect, then small updates.
(function () {
  'use strict';

  var state = { info: null, status: null, steps: [], epochs: [], workers: [], evaluation: null, finished: false };
  var curves = window.DtrainCharts.createCurves(document.getElementById('loss-chart'), document.getElementById('acc-chart'));
  var redrawQueued = false;

  function $(id) { return document.getElementById(id); }
  function text(id, v) { $(id).textContent = v; }

  function bytes(n) {
    if (!(n > 0)) return '0 B';
    var units = ['B', 'kB', 'MB', 'GB', 'TB'];
    var i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1000)));
    return (n / Math.pow(1000, i)).toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
  }

  function duration(sec) {
    if (sec === null || sec === undefined || !isFinite(sec)) return '–';
    sec = Math.max(0, Math.round(sec));
    var h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + s + 's';
  }

  function scheduleRedraw() {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(function () {
      redrawQueued = false;
      curves.update(state.steps, state.epochs);
    });
  }

  function renderInfo() {
    var i = state.info;
    if (!i) return;
    text('run-id', 'run ' + i.runId.slice(0, 8) + ' · ' + i.dataset + ' · ' + i.model + ' · ' + i.backend);
    text('t-mode', i.mode + (i.workers ? ' × ' + i.workers : ''));
    text('t-compression', i.compression);
    document.title = 'dtrain · ' + i.mode + ' · ' + i.runId.slice(0, 8);
  }

  function renderStatus() {
    var s = state.status;
    if (!s) return;
    var badge = $('state');
    badge.textContent = s.state;
    badge.className = 'badge ' + s.state;
    text('t-epoch', s.epoch + ' / ' + s.epochs);
    text('t-steps', String(s.steps));
    var avg = state.evaluation && state.evaluation.summary && state.evaluation.summary.samples_per_s;
    // Once over, the run's average (from its summary) says more than the last window.
    text('t-throughput', s.state === 'finished' && avg ? avg.toFixed(0) + ' samples/s (avg)' : s.samplesPerSec ? s.samplesPerSec.toFixed(0) + ' samples/s' : '–');
    text('t-eta', s.state === 'finished' ? 'done' : duration(s.etaSec));
    text('t-workers', s.activeWorkers + (state.info ? ' / ' + state.info.workers : ''));
    text('t-loss', s.lastLoss === null ? '–' : s.lastLoss.toFixed(4));
    text('t-bytes-in', bytes(s.bytesIn));
    text('t-bytes-out', bytes(s.bytesOut));
    var rejected = Object.keys(s.rejectedFrames).reduce(function (a, k) { return a + s.rejectedFrames[k]; }, 0);
    text('t-problems', s.droppedPushes + ' / ' + s.stalePushes + ' / ' + rejected);
    text('t-elapsed', duration(s.elapsedMs / 1000));
    var last = state.epochs[state.epochs.length - 1];
    text('t-acc', last ? (last.testAccuracy * 100).toFixed(2) + '%' : '–');
  }

  function cell(tr, value, cls) {
    var td = document.createElement('td');
    td.textContent = value;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function renderWorkers() {
    var body = $('workers-body');
    body.textContent = '';
    if (state.workers.length === 0) {
      var tr0 = document.createElement('tr');
      tr0.className = 'empty';
      cell(tr0, 'no worker has joined yet');
      tr0.firstChild.colSpan = 12;
      body.appendChild(tr0);
      return;
    }
    state.workers.forEach(function (w) {
      var tr = document.createElement('tr');
      tr.dataset.worker = w.id;
      cell(tr, w.id);
      cell(tr, w.state, 'state-' + w.state);
      cell(tr, w.backend);
      cell(tr, String(w.step));
      cell(tr, w.samplesPerSec ? w.samplesPerSec.toFixed(0) : '–');
      cell(tr, w.state === 'active' ? (w.lastSeenMsAgo / 1000).toFixed(1) + ' s ago' : '–');
      cell(tr, bytes(w.bytesIn));
      cell(tr, bytes(w.bytesOut));
      cell(tr, w.lastStaleness + ' / ' + w.maxStaleness);
      cell(tr, String(w.dropped));
      cell(tr, String(w.rejected));
      cell(tr, w.lastStepMs ? w.lastStepMs + ' ms' : '–');
      cell(tr, w.batch ? String(w.batch) : '–');
      body.appendChild(tr);
    });
    var omitted = state.status ? state.status.omittedWorkers : 0;
    if (omitted > 0) {
      var more = document.createElement('tr');
      more.className = 'empty';
      more.dataset.testid = 'workers-omitted';
      cell(more, '… and ' + omitted + ' more (the table shows active workers first, then the latest gone)');
      more.firstChild.colSpan = 13;
      body.appendChild(more);
    }
  }

  function renderEvaluation() {
    var e = state.evaluation;
    if (!e) return;
    $('evaluation').hidden = false;
    text('eval-title', (e.final ? 'Final evaluation' : 'Evaluation after epoch ' + e.epoch) + ' (test split)');
    // Rendered by the server (escaped there): the same markup as the offline report.
    $('eval-body').innerHTML = e.html;
  }

  function renderAll() {
    renderInfo();
    renderStatus();
    renderWorkers();
    renderEvaluation();
    scheduleRedraw();
  }

  var handlers = {
    snapshot: function (d) {
      state.info = d.info; state.status = d.status; state.steps = d.steps; state.epochs = d.epochs;
      state.workers = d.workers; state.evaluation = d.evaluation;
      renderAll();
    },
    info: function (d) { state.info = d; renderInfo(); },
    steps: function (d) {
      Array.prototype.push.apply(state.steps, d);
      var last = d[d.length - 1];
      // Between status pushes (1 Hz) the newest point is the freshest news.
      if (last) {
        text('t-steps', String(last.step));
        text('t-loss', last.loss === null ? '–' : last.loss.toFixed(4));
      }
      scheduleRedraw();
    },
    epoch: function (d) {
      state.epochs.push(d.point);
      state.evaluation = d.evaluation;
      renderEvaluation();
      renderStatus();
      scheduleRedraw();
    },
    status: function (d) { state.status = d.status; state.workers = d.workers; renderStatus(); renderWorkers(); },
    final: function (d) {
      state.status = d.status;
      if (d.evaluation) state.evaluation = d.evaluation;
      state.finished = true;
      renderStatus();
      renderEvaluation();
      text('conn', 'run finished');
      source.close();
    },
  };

  var source = new EventSource('events');
  Object.keys(handlers).forEach(function (name) {
    source.addEventListener(name, function (ev) { handlers[name](JSON.parse(ev.data)); });
  });
  source.onopen = function () { text('conn', 'live'); };
  source.onerror = function () {
    if (!state.finished) text('conn', source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
  };
})();
