// The dashboard's logic: polls /api/v1/status, follows /api/v1/events (fetch streaming, so the token travels in
// the Authorization header and never in a URL) and draws input rate and batch delays with uPlot, starting from
// the last batches the API kept (/api/v1/batches) so the charts are not empty when the page opens.
/* global document, window, sessionStorage, fetch, TextDecoder, AbortController, setTimeout, setInterval, clearTimeout */
import uPlot from '/dashboard/uplot.js';
import { alertsPanel } from '/dashboard/alerts.js';

const TOKEN_KEY = 'sluice.token';
const POINTS = 120; // batches kept in the charts
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY);
// The server marks the page when its API needs a token: ask before the first request rather than after a 401.
const tokenRequired = document.querySelector('meta[name="sluice-auth"]')?.content === 'bearer';
let intervalMs = 1000;
let batchesSeen = 0;
let pipelines = [];
let stream;

class Unauthorized extends Error {}

/** init: { method, body } (body is sent as JSON). Errors carry the API's message. */
async function api(path, init = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const options = { headers, method: init.method ?? 'GET' };
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    options.body = JSON.stringify(init.body);
  }
  const res = await fetch(path, options);
  if (res.status === 401) throw new Unauthorized('a valid token is required');
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.message ?? `${path}: HTTP ${res.status}`);
  }
  return res.json();
}

function setToken(next) {
  token = next;
  sessionStorage.setItem(TOKEN_KEY, next);
}

/** Builds an element; children are nodes or text (always text: nothing from the API becomes markup). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'title') node.title = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof window.Node ? c : String(c ?? ''));
  return node;
}

const fmt = {
  num(n, digits = 1) {
    if (n === null || n === undefined) return '–';
    return Math.abs(n) >= 100 || Number.isInteger(n) ? Math.round(n).toLocaleString() : n.toFixed(digits);
  },
  bytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
  },
  age(ms) {
    if (ms === null || ms === undefined) return '–';
    const s = Math.max(0, (Date.now() - ms) / 1000);
    return fmt.seconds(s) + ' ago';
  },
  seconds(s) {
    if (s === null || s === undefined) return '–';
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  },
  time(ms) {
    return new Date(ms).toLocaleTimeString();
  },
};

function pill(state) {
  return el('span', { class: `pill state-${state}` }, state);
}

function errorText(e) {
  return e ? el('span', { class: 'error', title: new Date(e.atMs).toLocaleString() }, e.message) : '';
}

// ---- charts ----------------------------------------------------------------------------------------------

const rateData = [[], []];
const delayData = [[], [], [], []];
let rateChart;
let delayChart;

function chartSize(node) {
  return { width: Math.max(260, node.clientWidth), height: 180 };
}

function makeCharts() {
  // At least a minute back from the newest batch: with one point alone uPlot would span a thousand days.
  const scales = {
    x: {
      time: true,
      range: (u, min, max) => {
        const xs = u.data[0];
        const last = xs[xs.length - 1];
        return last === undefined ? [min, max] : [Math.min(xs[0], last - 60), last];
      },
    },
  };
  const axes = [
    { stroke: '#888', grid: { stroke: '#8883' } },
    { stroke: '#888', grid: { stroke: '#8883' } },
  ];
  rateChart = new uPlot(
    {
      ...chartSize($('chart-rate')),
      axes,
      scales,
      legend: { live: false },
      series: [{}, { label: 'records/s', stroke: '#2b7de9', fill: '#2b7de922', width: 2 }],
    },
    rateData,
    $('chart-rate'),
  );
  delayChart = new uPlot(
    {
      ...chartSize($('chart-delay')),
      axes,
      scales,
      legend: { live: false },
      series: [
        {},
        { label: 'scheduling', stroke: '#e9a12b', width: 2 },
        { label: 'processing', stroke: '#2bb673', width: 2 },
        { label: 'total', stroke: '#d9534f', width: 2 },
      ],
    },
    delayData,
    $('chart-delay'),
  );
  let pending;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      rateChart.setSize(chartSize($('chart-rate')));
      delayChart.setSize(chartSize($('chart-delay')));
    }, 100);
  });
}

function push(data, values) {
  values.forEach((v, i) => data[i].push(v));
  if (data[0].length > POINTS) for (const series of data) series.shift();
}

let lastChartMs = -Infinity;
/** Adds a batch to both charts (once: the history and the event stream can overlap). */
function plot(b) {
  if (b.batchTimeMs <= lastChartMs) return false;
  lastChartMs = b.batchTimeMs;
  const t = b.batchTimeMs / 1000;
  push(rateData, [t, b.records / (intervalMs / 1000)]);
  push(delayData, [t, b.schedulingDelayMs, b.processingMs, b.totalDelayMs]);
  $('chart-rate').dataset.points = String(rateData[0].length);
  return true;
}

/** The batches the API kept: the charts start with recent history instead of empty. */
async function loadHistory() {
  try {
    const body = await api(`/api/v1/batches?limit=${POINTS}`);
    intervalMs = body.intervalMs;
    for (const b of body.batches) plot(b);
  } catch {
    // The charts start empty; the event stream fills them.
  }
}

function onBatch(b) {
  const rate = b.records / (intervalMs / 1000);
  if (plot(b)) {
    rateChart?.setData(rateData);
    delayChart?.setData(delayData);
  }
  batchesSeen++;
  $('batches').textContent = batchesSeen.toLocaleString();
  $('last-batch').textContent = `last ${fmt.time(b.batchTimeMs)}`;
  $('rate').textContent = fmt.num(rate);
  $('delay').textContent = fmt.num(b.totalDelayMs);
  scheduleResults();
}

// ---- status ----------------------------------------------------------------------------------------------

function renderStatus(s) {
  intervalMs = s.batches.intervalMs;
  $('gateway').textContent = s.gateway;
  document.title = `Sluice · ${s.gateway}`;
  $('phase').textContent = s.phase;
  $('phase').className = `pill phase-${s.phase}`;
  $('version').textContent = `v${s.version}`;
  $('uptime').textContent = `up ${fmt.seconds(s.uptimeSeconds)}`;
  if (batchesSeen === 0) {
    $('rate').textContent = fmt.num(s.batches.inputRate.latest);
    $('delay').textContent = fmt.num(s.batches.totalDelayMs.latest);
  }
  $('intake').textContent = s.intake.pending.toLocaleString();
  $('intake').className = s.intake.backpressured ? 'warn' : '';
  if (s.intake.backpressured) $('intake').title = 'backpressure: receivers are paused';

  $('receivers').replaceChildren(
    ...Object.entries(s.receivers).map(([id, r]) =>
      el(
        'tr',
        { 'data-receiver': id },
        el('td', {}, id),
        el('td', {}, pill(r.state)),
        el('td', { class: 'num' }, fmt.num(r.recordsPerSecond)),
        el('td', { class: 'num' }, r.records.toLocaleString()),
        el('td', { class: 'num' }, r.deadLetters.toLocaleString()),
        el('td', {}, fmt.age(r.lastRecordMs)),
        el('td', {}, errorText(r.lastError)),
      ),
    ),
  );
  $('sinks').replaceChildren(
    ...Object.entries(s.sinks).map(([id, k]) =>
      el(
        'tr',
        { 'data-sink': id },
        el('td', {}, id),
        el('td', {}, pill(k.state)),
        el('td', { class: 'num' }, k.sent.toLocaleString()),
        el('td', { class: 'num' + (k.outboxEntries > 0 ? ' warn' : '') }, k.outboxEntries.toLocaleString()),
        el('td', { class: 'num' }, fmt.bytes(k.outboxBytes)),
        el('td', { class: 'num' }, fmt.seconds(k.oldestEntryAgeSeconds)),
        el('td', {}, errorText(k.lastError)),
      ),
    ),
  );
  const d = s.disk;
  $('disk').textContent =
    `state ${d.path}: database ${fmt.bytes(d.dbBytes)}, ${fmt.bytes(d.availableBytes)} free of ${fmt.bytes(d.totalBytes)}` +
    (s.commitError ? ` · commits failing: ${s.commitError}` : '');
}

async function refreshStatus() {
  try {
    renderStatus(await api('/api/v1/status'));
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin('The token was refused.');
    $('phase').textContent = 'unreachable';
    $('phase').className = 'pill phase-failed';
  }
}

// ---- results ---------------------------------------------------------------------------------------------

let resultsTimer;
function scheduleResults() {
  resultsTimer ??= setTimeout(() => {
    resultsTimer = undefined;
    void refreshResults();
  }, 1000);
}

async function refreshResults() {
  const blocks = [];
  for (const p of pipelines) {
    let results = [];
    try {
      results = (await api(`/api/v1/pipelines/${encodeURIComponent(p.id)}/results?limit=100`)).results;
    } catch {
      // Shown as empty; the next batch tries again.
    }
    // The newest window only: one row per key.
    const newest = results.length > 0 ? results[0].windowEnd : null;
    const rows = results
      .filter((r) => r.windowEnd === newest)
      .sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }));
    const window =
      newest === null
        ? 'no window closed yet'
        : `window ${fmt.time(rows[0].windowStart)} – ${fmt.time(newest)}`;
    blocks.push(
      el(
        'div',
        { class: 'pipeline', 'data-pipeline': p.id },
        el('h3', {}, p.id, ' ', el('small', {}, `${p.from.join(', ')} → ${p.to.join(', ')} · ${window}`)),
        rows.length === 0
          ? el('p', { class: 'empty' }, 'No results yet.')
          : el(
              'div',
              { class: 'scroll' },
              el(
                'table',
                {},
                el(
                  'thead',
                  {},
                  el(
                    'tr',
                    {},
                    el('th', {}, 'key'),
                    ...p.aggregates.map((a) => el('th', { class: 'num' }, a)),
                  ),
                ),
                el(
                  'tbody',
                  {},
                  ...rows.map((r) =>
                    el(
                      'tr',
                      {},
                      el('td', {}, r.key),
                      ...p.aggregates.map((a) => el('td', { class: 'num' }, fmt.num(r.values[a], 2))),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
  }
  $('pipelines').replaceChildren(
    ...(blocks.length > 0 ? blocks : [el('p', { class: 'empty' }, 'No pipelines.')]),
  );
}

// ---- alerts ----------------------------------------------------------------------------------------------

const alerts = alertsPanel({
  api,
  Unauthorized,
  el,
  fmt,
  hasToken: () => Boolean(token),
  setToken,
  onUnauthorized: () => showLogin('The token was refused.'),
});

function refreshAlerts() {
  void alerts.refresh();
}

// ---- event stream ----------------------------------------------------------------------------------------

/** Follows /api/v1/events with fetch (EventSource cannot send a header) and reconnects after 3 s. */
function follow() {
  stream?.abort();
  const controller = new AbortController();
  stream = controller;
  const headers = { accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  const retry = () => {
    $('live').textContent = 'offline';
    $('live').className = 'pill offline';
    if (stream === controller) setTimeout(follow, 3000);
  };
  fetch('/api/v1/events', { headers, signal: controller.signal, cache: 'no-store' })
    .then(async (res) => {
      if (res.status === 401) {
        stream = undefined;
        showLogin('The token was refused.');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      $('live').textContent = 'live';
      $('live').className = 'pill live';
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      retry();
    })
    .catch(() => {
      if (!controller.signal.aborted) retry();
    });
}

function dispatch(frame) {
  let type = 'message';
  let data = '';
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (data === '') return;
  const event = JSON.parse(data);
  if (type === 'batch') onBatch(event.batch);
  else if (type === 'receiver' || type === 'sink' || type === 'phase') void refreshStatus();
  else if (type === 'alert' || type === 'silence') alerts.schedule();
}

// ---- start -----------------------------------------------------------------------------------------------

function showLogin(message) {
  stream?.abort();
  stream = undefined;
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = token ? message : '';
  $('token').focus();
}

let started = false;
async function start() {
  try {
    renderStatus(await api('/api/v1/status'));
    pipelines = (await api('/api/v1/pipelines')).pipelines;
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin('The token was refused.');
    $('phase').textContent = 'unreachable';
    setTimeout(start, 3000);
    return;
  }
  $('login').hidden = true;
  $('board').hidden = false;
  if (!started) {
    started = true;
    await loadHistory();
    makeCharts();
    setInterval(refreshStatus, 2000);
    setInterval(refreshAlerts, 5000);
  }
  follow();
  void refreshResults();
  refreshAlerts();
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value.trim());
  void start();
});

if (tokenRequired && !token) showLogin('');
else void start();
