// Admin reports: an admin signs in, picks a centre, a day, week or month,
// and sees the figures (GET …/reports, the Report JSON of queue-server's
// report package) with charts drawn as inline SVG, and downloads the same
// report as CSV (Excel) or PDF.

import '/admin/reports.i18n.js';
import { apply, bindSwitch, lang, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, h, seg } from '/assets/api.js';
import { downloadWithToken, showError, staffSession } from '/assets/staff.js';
import { legend, svg } from '/assets/charts.js';
import { dateField, formatDate } from '/assets/dates.js';

const state = { me: null, report: null };

function show(screen) {
  $('login').hidden = screen !== 'login';
  $('reports').hidden = screen !== 'reports';
  $('signout').hidden = screen === 'login';
}

// Leaving reports: signed out, refused, or the session expired.
function leave() {
  state.me = null;
  $('who').textContent = '';
  $('result').replaceChildren();
  show('login');
}

const { failed, refuse, start } = staffSession({ enter: afterSignIn, leave, report: (err) => showError($('error'), err) });

// ---- sign in --------------------------------------------------------------

async function afterSignIn() {
  state.me = await api('GET', '/api/v1/me');
  if (state.me.role !== 'admin') {
    await refuse(t('reports.admin_only'));
    return;
  }
  $('who').textContent = t('reports.signed_in_as', { name: state.me.name || state.me.username });
  const centres = await api('GET', '/api/v1/centres');
  const sel = $('centre');
  sel.replaceChildren(...centres.map((c) => h('option', { value: c.id }, c.name || c.id)));
  const q = new URLSearchParams(location.search);
  if (q.get('centre')) sel.value = q.get('centre');
  if (q.get('period')) $('period').value = q.get('period');
  $('date').iso = q.get('date') || today();
  show('reports');
  if (centres.length) await load();
}

dateField($('date'));

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// ---- loading and downloads -------------------------------------------------

function query(extra = {}) {
  const p = new URLSearchParams({ period: $('period').value, ...extra });
  if ($('date').iso) p.set('date', $('date').iso); // none: the server's today
  return `/api/v1/centres/${seg($('centre').value)}/reports?${p}`;
}

// dateOK says, next to the field, when what is typed is not a date.
function dateOK() {
  const f = $('date');
  if (!f.value.trim() || f.iso) return true;
  f.setAttribute('aria-invalid', 'true');
  failed(new ApiError(0, 'invalid', t('common.date_invalid')));
  f.focus();
  return false;
}

async function load(ev) {
  if (ev) ev.preventDefault();
  $('error').hidden = true;
  if (!dateOK()) return;
  const btn = $('show');
  btn.disabled = true;
  btn.textContent = t('reports.loading');
  try {
    state.report = await api('GET', query());
    const u = new URL(location.href);
    u.search = new URLSearchParams({ centre: $('centre').value, period: $('period').value, date: $('date').iso });
    history.replaceState(null, '', u);
    render();
  } catch (err) {
    failed(err);
  } finally {
    btn.disabled = false;
    btn.textContent = t('reports.show');
  }
}

/** Downloads a format with the bearer token (a plain link cannot send it). */
async function download(format, btn) {
  $('error').hidden = true;
  if (!dateOK()) return;
  btn.disabled = true;
  try {
    await downloadWithToken(query({ format, lang: lang() }), `bao-cao-${$('centre').value}-${$('period').value}-${$('date').iso || today()}.${format}`, lang());
  } catch (err) {
    failed(err instanceof ApiError ? err : new ApiError(0, 'network', t('common.network_error')));
  } finally {
    btn.disabled = false;
  }
}

// ---- formatting -------------------------------------------------------------

const num = (n) => new Intl.NumberFormat(locale()).format(n || 0);
const mins = (s) => t('reports.min', { n: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format((s || 0) / 60) });
/** Minutes as a bare number, for table cells under a header with the unit. */
const minsN = (s) => new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format((s || 0) / 60);
const unit = (label) => `${label} (${t('reports.min', { n: '' }).trim()})`;
const pct = (x) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x || 0);
const dateText = formatDate;
const weekdays = () => t('reports.weekdays').split(',');
const mondayFirst = [1, 2, 3, 4, 5, 6, 0];
const nameOf = (g) => (lang() === 'en' && g.name_en ? g.name_en : g.name);

// ---- SVG charts ---------------------------------------------------------------

function chart(title, body, legend) {
  return h('section', { class: 'card chart' }, h('h3', {}, title), body, legend || null);
}

const BLUE = '#2563eb';
const ORANGE = '#d97706';
const TEAL = '#0d9488';
const RED = '#dc2626';

/** Horizontal stacked bars: walk-in and booked tickets per service. */
function servicesChart(r) {
  const rows = r.services;
  const most = Math.max(1, ...rows.map((g) => g.tickets));
  const W = 560, label = 170, bar = 20, gap = 8;
  const H = rows.length * (bar + gap) + 4;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('reports.chart.services') });
  const scale = (W - label - 50) / most;
  rows.forEach((g, i) => {
    const y = i * (bar + gap);
    s.append(svg('text', { x: 0, y: y + bar * 0.7 }, `${g.key} · ${nameOf(g)}`.slice(0, 28)));
    const ww = g.walk_in * scale, wb = g.booked * scale;
    s.append(svg('rect', { x: label, y, width: ww, height: bar, fill: BLUE }, svg('title', {}, `${t('reports.k.walk_in')}: ${g.walk_in}`)));
    s.append(svg('rect', { x: label + ww, y, width: wb, height: bar, fill: ORANGE }, svg('title', {}, `${t('reports.k.booked')}: ${g.booked}`)));
    s.append(svg('text', { x: label + ww + wb + 4, y: y + bar * 0.7 }, num(g.tickets)));
  });
  return chart(t('reports.chart.services'), s, legend([[BLUE, t('reports.k.walk_in')], [ORANGE, t('reports.k.booked')]]));
}

/** Vertical bars of tickets and served per day of the period. */
function daysChart(r) {
  const days = r.days;
  const most = Math.max(1, ...days.map((d) => d.tickets));
  const W = 560, H = 180, base = 150, top = 12;
  const slot = W / days.length;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('reports.chart.days') });
  const wd = weekdays();
  days.forEach((d, i) => {
    const x = i * slot;
    const hT = ((base - top) * d.tickets) / most;
    const hS = ((base - top) * d.served) / most;
    s.append(svg('rect', { x: x + slot * 0.1, y: base - hT, width: slot * 0.8, height: hT, fill: '#93c5fd' }, svg('title', {}, `${dateText(d.key)}: ${d.tickets} / ${d.served}`)));
    s.append(svg('rect', { x: x + slot * 0.25, y: base - hS, width: slot * 0.5, height: hS, fill: BLUE }));
    if (days.length <= 14 || i % Math.ceil(days.length / 15) === 0) {
      const day = new Date(d.key + 'T00:00:00');
      s.append(svg('text', { x: x + slot / 2, y: base + 14, 'text-anchor': 'middle', class: 'muted' }, days.length <= 7 ? wd[day.getDay()] : String(day.getDate())));
    }
  });
  s.append(svg('line', { x1: 0, x2: W, y1: base, y2: base, stroke: '#cbd5e1' }));
  return chart(t('reports.chart.days'), s, legend([['#93c5fd', t('reports.k.tickets')], [BLUE, t('reports.k.served')]]));
}

/** The weekday × hour heat map of arrivals. */
function heatmap(r) {
  const a = r.arrivals;
  let first = 7, last = 16;
  a.counts.forEach((row) => row.forEach((n, hr) => { if (n > 0) { first = Math.min(first, hr); last = Math.max(last, hr); } }));
  const hours = last - first + 1;
  const W = 560, label = 40, cellH = 24, headH = 16;
  const cellW = (W - label) / hours;
  const s = svg('svg', { viewBox: `0 0 ${W} ${headH + 7 * cellH}`, role: 'img', 'aria-label': t('reports.chart.arrivals') });
  for (let hr = first; hr <= last; hr++) {
    s.append(svg('text', { x: label + (hr - first + 0.5) * cellW, y: 11, 'text-anchor': 'middle', class: 'muted' }, String(hr).padStart(2, '0')));
  }
  const wd = weekdays();
  mondayFirst.forEach((w, i) => {
    const y = headH + i * cellH;
    s.append(svg('text', { x: 0, y: y + cellH * 0.65 }, wd[w]));
    for (let hr = first; hr <= last; hr++) {
      const n = a.counts[w][hr];
      const k = a.max ? n / a.max : 0;
      const fill = `rgb(${Math.round(241 - k * 211)},${Math.round(245 - k * 181)},${Math.round(249 - k * 74)})`;
      const x = label + (hr - first) * cellW;
      s.append(svg('rect', { x, y, width: cellW - 1, height: cellH - 1, fill }, svg('title', {}, `${wd[w]} ${String(hr).padStart(2, '0')}h: ${n}`)));
      if (n > 0 && cellW > 22) {
        s.append(svg('text', { x: x + cellW / 2, y: y + cellH * 0.65, 'text-anchor': 'middle', style: k > 0.5 ? 'fill:#fff' : '' }, num(n)));
      }
    }
  });
  return chart(t('reports.chart.arrivals'), s);
}

/** The wait distribution, bars past the target in red. */
function waitChart(r) {
  const bins = r.wait_distribution;
  const most = Math.max(1, ...bins.map((b) => b.count));
  const W = 560, H = 180, base = 150, top = 16;
  const slot = W / bins.length;
  const target = r.target_wait_seconds / 60;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('reports.chart.waits') });
  bins.forEach((b, i) => {
    const x = i * slot;
    const hh = ((base - top) * b.count) / most;
    s.append(svg('rect', { x: x + slot * 0.15, y: base - hh, width: slot * 0.7, height: hh, fill: b.from_minutes >= target ? RED : TEAL }));
    s.append(svg('text', { x: x + slot / 2, y: base - hh - 3, 'text-anchor': 'middle' }, num(b.count)));
    s.append(svg('text', { x: x + slot / 2, y: base + 14, 'text-anchor': 'middle', class: 'muted' }, b.to_minutes ? `${b.from_minutes}–${b.to_minutes}` : `${b.from_minutes}+`));
  });
  s.append(svg('line', { x1: 0, x2: W, y1: base, y2: base, stroke: '#cbd5e1' }));
  return chart(t('reports.chart.waits'), s, legend([[TEAL, t('reports.legend.target')], [RED, t('reports.legend.late')]]));
}

// ---- tables -----------------------------------------------------------------

function table(title, head, rows, totalLast = false) {
  return h('section', { class: 'card section' },
    h('h3', {}, title),
    h('table', {},
      h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { class: i > 1 ? 'num' : undefined, scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r, ri) => h('tr', { class: totalLast && ri === rows.length - 1 ? 'total' : undefined },
        r.map((c, i) => h('td', { class: i > 1 ? 'num' : undefined }, c)))))));
}

function groupTable(title, groups, keyText = (g) => g.key, name = nameOf) {
  const head = [t('reports.c.key'), t('reports.c.name'), t('reports.k.tickets'), t('reports.k.walk_in'), t('reports.k.booked'),
    t('reports.k.offline'), t('reports.k.served'), t('reports.k.no_shows'), t('reports.k.expired'), t('reports.k.cancellations'),
    ...['wait_mean', 'wait_median', 'wait_p90', 'wait_max', 'svc_mean', 'svc_median'].map((k) => unit(t('reports.k.' + k))),
    t('reports.c.within'), t('reports.k.rating')];
  const rows = groups.map((g) => [keyText(g), name(g), num(g.tickets), num(g.walk_in), num(g.booked), num(g.offline),
    num(g.served), num(g.no_shows), num(g.expired), num(g.cancellations), minsN(g.wait.mean_seconds),
    minsN(g.wait.median_seconds), minsN(g.wait.p90_seconds), minsN(g.wait.max_seconds), minsN(g.service_time.mean_seconds),
    minsN(g.service_time.median_seconds), pct(g.within_target_share), g.ratings.count ? g.ratings.mean.toFixed(2) : '–']);
  return table(title, head, rows);
}

function render() {
  const r = state.report;
  const out = $('result');
  if (!r) {
    out.replaceChildren();
    return;
  }
  const f = r.total, b = r.bookings;
  const tz = r.timezone;
  const gen = new Date(r.generated_at).toLocaleString(locale(), { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
  const kpi = (label, value) => h('div', { class: 'kpi' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
  const wd = weekdays();
  const docStatuses = ['present', 'missing', 'unreadable', 'inconsistent'];
  const pre = r.prechecks;
  const rt = f.ratings;
  out.replaceChildren(...[
    h('div', { class: 'head' },
      h('h2', {}, `${r.centre_name} · ${t('reports.period.' + (r.period.kind === 'range' ? 'day' : r.period.kind))} ${r.period.from === r.period.to ? dateText(r.period.from) : t('reports.range', { from: dateText(r.period.from), to: dateText(r.period.to) })}`),
      h('p', {}, t('reports.generated', { time: gen, tz }))),
    f.tickets === 0 && b.booked === 0 && b.cancelled === 0 ? h('p', { class: 'alert info' }, t('reports.empty')) : null,
    h('div', { class: 'kpis' },
      kpi(t('reports.k.tickets'), num(f.tickets)),
      kpi(t('reports.k.walk_in'), num(f.walk_in)),
      kpi(t('reports.k.booked'), num(f.booked)),
      kpi(t('reports.k.offline'), num(f.offline)),
      kpi(t('reports.k.served'), num(f.served)),
      kpi(t('reports.k.no_shows'), num(f.no_shows)),
      kpi(t('reports.k.expired'), num(f.expired)),
      kpi(t('reports.k.cancellations'), num(f.cancellations)),
      kpi(t('reports.k.wait_mean'), mins(f.wait.mean_seconds)),
      kpi(t('reports.k.wait_median'), mins(f.wait.median_seconds)),
      kpi(t('reports.k.wait_p90'), mins(f.wait.p90_seconds)),
      kpi(t('reports.k.wait_max'), mins(f.wait.max_seconds)),
      kpi(t('reports.k.svc_mean'), mins(f.service_time.mean_seconds)),
      kpi(t('reports.k.svc_p90'), mins(f.service_time.p90_seconds)),
      kpi(t('reports.k.within', { n: Math.round(r.target_wait_seconds / 60) }), pct(f.within_target_share)),
      kpi(t('reports.k.utilisation'), pct(b.utilisation)),
      kpi(t('reports.k.checkin_rate'), pct(b.check_in_rate)),
      kpi(t('reports.k.noshow_rate'), pct(b.no_show_rate)),
      kpi(t('reports.k.prechecks'), num(pre.done)),
      kpi(t('reports.k.rating'), rt.count ? `${rt.mean.toFixed(2)} / 4` : '–')),
    h('div', { class: 'charts' }, servicesChart(r), daysChart(r), heatmap(r), waitChart(r)),
    groupTable(t('reports.s.services'), r.services),
    groupTable(t('reports.s.counters'), r.counters, (g) => g.key, (g) => (lang() === 'en' ? g.name_en : g.name)),
    groupTable(t('reports.s.staff'), r.staff, (g) => g.key, (g) => g.name),
    groupTable(t('reports.s.days'), r.days, (g) => wd[new Date(g.key + 'T00:00:00').getDay()], (g) => dateText(g.key)),
    table(t('reports.s.bookings'),
      [t('reports.c.key'), t('reports.c.name'), t('reports.c.capacity'), t('reports.c.b_booked'), t('reports.c.checked_in'),
        t('reports.c.b_no_show'), t('reports.c.pending'), t('reports.c.b_cancelled'), t('reports.k.utilisation'),
        t('reports.k.checkin_rate'), t('reports.k.noshow_rate')],
      [...b.services.map((s) => [s.service, serviceName(s), s]), ['', t('reports.all'), b]].map(([k, n, x]) =>
        [k, n, num(x.capacity), num(x.booked), num(x.checked_in), num(x.no_shows), num(x.pending), num(x.cancelled),
          pct(x.utilisation), pct(x.check_in_rate), pct(x.no_show_rate)]), true),
    table(t('reports.s.prechecks'),
      [t('reports.c.document'), t('reports.c.checked'), ...docStatuses.map((s) => t('reports.doc.' + s))],
      [...pre.documents.map((d) => [d.name, num(d.checked), ...docStatuses.map((s) => num(d.by_status[s]))]),
        [t('reports.all'), `${num(pre.done)} / ${num(pre.ok)} ✓`, ...docStatuses.map((s) => num(pre.by_status[s]))]], true),
    table(t('reports.s.ratings'), [t('reports.c.key'), t('reports.c.name'), t('reports.c.count'), t('reports.c.share')],
      [...rt.by_score.map((n, i) => [String(i + 1), t('reports.rating.' + (i + 1)), num(n), pct(rt.count ? n / rt.count : 0)]),
        ['', t('reports.all'), num(rt.count), rt.count ? `${rt.mean.toFixed(2)} / 4` : '–']], true),
  ].filter(Boolean));
}

// ---- start ------------------------------------------------------------------

function init() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    if (state.me) $('who').textContent = t('reports.signed_in_as', { name: state.me.name || state.me.username });
    render();
  });
  $('filter').addEventListener('submit', load);
  $('dl-csv').addEventListener('click', (e) => download('csv', e.currentTarget));
  $('dl-pdf').addEventListener('click', (e) => download('pdf', e.currentTarget));
  start();
}

init();
