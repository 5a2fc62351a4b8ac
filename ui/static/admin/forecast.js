// Admin forecast: an admin signs in, picks a centre, and sees the arrivals
// forecast for the next days (GET …/forecast) drawn as inline SVG — the
// forecast, its 80 % interval and what actually came so far, for all
// services or one — and the staffing plan of a day as a table by hour and
// counter with the hours the roster cannot cover marked, printable as PDF
// (GET …/forecast.pdf).

import '/admin/forecast.i18n.js';
import { apply, bindSwitch, lang, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, h, seg } from '/assets/api.js';
import { downloadWithToken, showError, staffSession } from '/assets/staff.js';
import { legend, svg } from '/assets/charts.js';
import { formatDate } from '/assets/dates.js';

const state = { me: null, centres: [], configs: new Map(), data: null, service: '', planDay: '' };

function show(screen) {
  $('login').hidden = screen !== 'login';
  $('forecast').hidden = screen !== 'forecast';
  $('signout').hidden = screen === 'login';
}

function leave() {
  state.me = null;
  state.data = null;
  $('who').textContent = '';
  $('result').replaceChildren();
  show('login');
}

const { failed, refuse, start } = staffSession({ enter: afterSignIn, leave, report: (err) => showError($('error'), err) });

async function afterSignIn() {
  state.me = await api('GET', '/api/v1/me');
  if (state.me.role !== 'admin') {
    await refuse(t('forecast.admin_only'));
    return;
  }
  $('who').textContent = t('forecast.signed_in_as', { name: state.me.name || state.me.username });
  state.centres = await api('GET', '/api/v1/centres');
  const sel = $('centre');
  sel.replaceChildren(...state.centres.map((c) => h('option', { value: c.id }, c.name || c.id)));
  const q = new URLSearchParams(location.search);
  if (q.get('centre')) sel.value = q.get('centre');
  if (q.get('days')) $('days').value = q.get('days');
  if (q.get('target_minutes')) $('target').value = q.get('target_minutes');
  state.planDay = q.get('plan_day') || '';
  show('forecast');
  if (state.centres.length) await load();
}

// ---- loading and the PDF ------------------------------------------------------

function target() {
  const n = Number($('target').value);
  return Number.isInteger(n) && n >= 1 && n <= 480 ? n : 0;
}

function query(path, extra = {}) {
  const p = new URLSearchParams({ days: $('days').value, target_minutes: String(target()), ...extra });
  if (state.planDay) p.set('plan_day', state.planDay);
  return `/api/v1/centres/${seg($('centre').value)}/${path}?${p}`;
}

function targetOK() {
  const f = $('target');
  if (target()) {
    f.removeAttribute('aria-invalid');
    return true;
  }
  f.setAttribute('aria-invalid', 'true');
  failed(new ApiError(0, 'invalid', t('forecast.target_invalid')));
  f.focus();
  return false;
}

async function load(ev) {
  if (ev) ev.preventDefault();
  $('error').hidden = true;
  if (!targetOK()) return;
  const btn = $('show');
  btn.disabled = true;
  btn.textContent = t('forecast.loading');
  try {
    let data;
    try {
      data = await api('GET', query('forecast'));
    } catch (err) {
      // A plan day outside the days now asked for: plan the default day.
      if (!(err instanceof ApiError) || err.status !== 422 || !state.planDay) throw err;
      state.planDay = '';
      data = await api('GET', query('forecast'));
    }
    const id = $('centre').value;
    // Read again each time: the plan's columns are the counters now configured.
    state.configs.set(id, await api('GET', `/api/v1/centres/${seg(id)}`));
    state.data = data;
    if (data.plan) state.planDay = data.plan.day;
    const u = new URL(location.href);
    u.search = new URLSearchParams({ centre: $('centre').value, days: $('days').value, target_minutes: String(target()), ...(state.planDay ? { plan_day: state.planDay } : {}) });
    history.replaceState(null, '', u);
    render();
  } catch (err) {
    failed(err);
  } finally {
    btn.disabled = false;
    btn.textContent = t('forecast.show');
  }
}

/** Downloads the plan's PDF with the bearer token (a plain link cannot send it). */
async function downloadPDF(btn) {
  $('error').hidden = true;
  if (!targetOK()) return;
  btn.disabled = true;
  try {
    await downloadWithToken(btn.dataset.href, `ke-hoach-${$('centre').value}-${state.planDay}.pdf`, lang());
  } catch (err) {
    failed(err instanceof ApiError ? err : new ApiError(0, 'network', t('common.network_error')));
  } finally {
    btn.disabled = false;
  }
}

// ---- formatting -----------------------------------------------------------------

const num1 = (n) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(n || 0);
const pct1 = (x) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x || 0);
const pct = (x) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(x || 0);
const weekday = (iso) => t('forecast.weekdays').split(',')[new Date(iso + 'T00:00:00').getDay()];
const dayText = (iso) => `${weekday(iso)} ${formatDate(iso)}`;
const hourText = (hr) => `${String(hr).padStart(2, '0')}–${String(hr + 1).padStart(2, '0')}`;

const BLUE = '#1d4ed8';
const BAND = '#bfdbfe';
const ORANGE = '#b45309';
const GREEN = '#047857';

// ---- the data, for the service chosen ----------------------------------------------

/** The per-day totals of the service chosen ('' for all). */
function daySums() {
  const d = state.data;
  const svc = state.service;
  const own = d.days.filter((x) => (x.service || '') === svc);
  if (own.length || !svc) return own;
  // No per-service totals in the answer: sum the service's hours.
  const by = new Map();
  for (const p of d.points.filter((x) => x.service === svc)) {
    const s = by.get(p.day) || { day: p.day, mean: 0, low: 0, high: 0 };
    s.mean += p.mean;
    s.low += p.low;
    s.high += p.high;
    by.set(p.day, s);
  }
  return d.days.filter((x) => !x.service).map((x) => ({ ...(by.get(x.day) || { day: x.day, mean: 0, low: 0, high: 0 }), closed: x.closed, holiday: x.holiday }));
}

/** The hours of a day for the service chosen: mean, low, high, booked. */
function hourSums(day) {
  const by = new Map();
  for (const p of state.data.points) {
    if (p.day !== day || (state.service && p.service !== state.service)) continue;
    const s = by.get(p.hour) || { hour: p.hour, mean: 0, low: 0, high: 0, booked: 0 };
    s.mean += p.mean;
    s.low += p.low;
    s.high += p.high;
    s.booked += p.booked;
    by.set(p.hour, s);
  }
  return [...by.values()].sort((a, b) => a.hour - b.hour);
}

// ---- charts -------------------------------------------------------------------------

/**
 * A band (the 80 % interval), a line (the forecast) and dots (the actual
 * so far) over slots labelled by label(i); bars of booked when given.
 */
function bandChart(title, rows, label, { actual, booked } = {}) {
  const W = 640, H = 220, left = 36, base = 186, top = 12;
  const most = Math.max(1, ...rows.map((r) => Math.max(r.high, r.mean, actual ? actual(r) || 0 : 0)));
  const slot = (W - left) / Math.max(1, rows.length);
  const x = (i) => left + slot * (i + 0.5);
  const y = (v) => base - ((base - top) * v) / most;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  for (const frac of [0, 0.5, 1]) {
    const v = most * frac;
    s.append(svg('line', { x1: left, x2: W, y1: y(v), y2: y(v), stroke: '#e2e8f0' }));
    s.append(svg('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'muted' }, num1(v)));
  }
  if (booked) {
    rows.forEach((r, i) => {
      if (!r.booked) return;
      s.append(svg('rect', { x: x(i) - slot * 0.2, y: y(r.booked), width: slot * 0.4, height: base - y(r.booked), fill: '#fcd34d' },
        svg('title', {}, `${label(i)}: ${t('forecast.legend.booked')} ${r.booked}`)));
    });
  }
  if (rows.length) {
    const upper = rows.map((r, i) => `${x(i)},${y(r.high)}`);
    const lower = rows.map((r, i) => `${x(i)},${y(r.low)}`).reverse();
    s.append(svg('polygon', { points: [...upper, ...lower].join(' '), fill: BAND, 'fill-opacity': '0.8' }));
    s.append(svg('polyline', { points: rows.map((r, i) => `${x(i)},${y(r.mean)}`).join(' '), fill: 'none', stroke: BLUE, 'stroke-width': 2 }));
  }
  rows.forEach((r, i) => {
    s.append(svg('circle', { cx: x(i), cy: y(r.mean), r: 3, fill: BLUE },
      svg('title', {}, `${label(i)}: ${num1(r.mean)} (${num1(r.low)}–${num1(r.high)})`)));
    const a = actual ? actual(r) : null;
    if (a !== null && a !== undefined) {
      s.append(svg('rect', { x: x(i) - 4, y: y(a) - 4, width: 8, height: 8, fill: GREEN },
        svg('title', {}, `${label(i)}: ${t('forecast.legend.actual')} ${a}`)));
    }
    if (rows.length <= 16 || i % Math.ceil(rows.length / 16) === 0) {
      s.append(svg('text', { x: x(i), y: base + 16, 'text-anchor': 'middle', class: 'muted' }, label(i)));
    }
  });
  s.append(svg('line', { x1: left, x2: W, y1: base, y2: base, stroke: '#94a3b8' }));
  const items = [[BLUE, t('forecast.legend.mean')], [BAND, t('forecast.legend.interval')]];
  if (actual) items.push([GREEN, t('forecast.legend.actual')]);
  if (booked) items.push(['#fcd34d', t('forecast.legend.booked')]);
  return h('section', { class: 'card chart' }, h('h2', { class: 'h3' }, title), s, legend(items));
}

// ---- tables ----------------------------------------------------------------------------

function planSection(centre) {
  const p = state.data.plan;
  const dayLabel = dayText(p.day);
  const configured = centre ? centre.counters : [];
  const counters = configured.map((c) => c.number);
  const head = [t('forecast.c.hour'), t('forecast.c.expected'), ...configured.map((c) => c.name || t('forecast.c.counter', { n: c.number })),
    t('forecast.c.needed'), t('forecast.c.p90'), t('forecast.c.note')];
  const rows = p.hours.map((hr) => {
    const open = new Set(hr.counters);
    return h('tr', { class: hr.short ? 'short' : undefined, 'data-hour': hr.hour },
      h('th', { scope: 'row' }, hourText(hr.hour)),
      h('td', { class: 'num' }, num1(hr.expected)),
      counters.map((n) => open.has(n)
        ? h('td', { class: 'open' }, h('span', { 'aria-hidden': 'true' }, '■'), h('span', { class: 'visually-hidden' }, t('forecast.open')))
        : h('td', {}, h('span', { class: 'visually-hidden' }, t('forecast.closed_cell')))),
      h('td', { class: 'num' }, String(hr.needed)),
      h('td', { class: 'num' }, num1(hr.p90_minutes)),
      h('td', { class: hr.short ? 'short-mark' : undefined }, hr.short ? t('forecast.short') : ''));
  });
  const summary = t('forecast.plan.summary', {
    plan: p.counter_hours, all: p.all_day_counter_hours, saved: Math.max(0, p.all_day_counter_hours - p.counter_hours),
    met: pct(p.met_share), target: p.target_minutes,
  });
  const short = p.hours.filter((hr) => hr.short);
  const roster = short.length
    ? h('p', { id: 'plan-roster', class: 'alert warn' }, t('forecast.roster.short', {
      n: short.length,
      hours: short.map((hr) => t('forecast.roster.hour', { hour: hourText(hr.hour), needed: hr.needed, roster: hr.roster })).join(', '),
    }))
    : h('p', { id: 'plan-roster', class: 'alert info' }, t('forecast.roster.enough'));
  return h('section', { class: 'card section plan', id: 'plan' },
    h('div', { class: 'plan-head' },
      h('h2', { class: 'h3' }, t('forecast.s.plan', { day: dayLabel })),
      // data-href: the PDF's address (fetched with the session's token).
      h('button', { type: 'button', class: 'secondary', id: 'dl-pdf', 'data-href': query('forecast.pdf', { lang: lang() }), onclick: (e) => downloadPDF(e.currentTarget) }, t('forecast.pdf'))),
    h('p', { id: 'plan-summary' }, summary),
    p.hours.length ? roster : null,
    p.hours.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows))
      : h('p', { class: 'alert info' }, t('forecast.plan.none')),
    p.hours.some((hr) => hr.short) ? h('p', { class: 'muted' }, t('forecast.short_hint')) : null);
}

function daysTable(sums) {
  const booked = new Map();
  for (const p of state.data.points) {
    if (!state.service || p.service === state.service) booked.set(p.day, (booked.get(p.day) || 0) + p.booked);
  }
  return h('section', { class: 'card section days' },
    h('h2', { class: 'h3' }, t('forecast.s.days')),
    h('table', {},
      h('thead', {}, h('tr', {}, [t('forecast.c.date'), t('forecast.c.mean'), t('forecast.c.interval'), t('forecast.c.booked'), t('forecast.c.actual'), t('forecast.c.note')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, sums.map((d) => h('tr', { class: d.closed ? 'closed' : undefined },
        h('th', { scope: 'row' }, dayText(d.day)),
        h('td', { class: 'num' }, num1(d.mean)),
        h('td', { class: 'num' }, `${num1(d.low)}–${num1(d.high)}`),
        h('td', { class: 'num' }, String(booked.get(d.day) || 0)),
        h('td', { class: 'num' }, d.actual === undefined || d.actual === null ? '' : String(d.actual)),
        h('td', {}, d.holiday || (d.closed ? t('forecast.closed') : '')))))));
}

/** How far last week's forecast was from what came (WAPE), or null. */
function accuracyLine(a) {
  if (!a) return null;
  return h('p', { id: 'accuracy' }, t('forecast.accuracy', { wape: pct1(a.wape), days: a.days }));
}

function render() {
  const d = state.data;
  const out = $('result');
  if (!d) {
    out.replaceChildren();
    return;
  }
  const centre = state.configs.get(d.centre);
  const tz = centre && centre.timezone ? centre.timezone : undefined;
  const gen = new Date(d.generated).toLocaleString(locale(), { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
  const notes = d.notes.length ? h('ul', { class: 'notes', id: 'notes' }, d.notes.map((n) => h('li', {}, n))) : null;
  if (!d.points.length) {
    out.replaceChildren(...[
      h('div', { class: 'head' }, h('h2', {}, centre ? centre.name : d.centre), h('p', {}, t('forecast.generated', { time: gen }))),
      h('p', { class: 'alert info' }, t('forecast.empty')),
      notes,
    ].filter(Boolean));
    return;
  }
  const services = [...new Set(d.points.map((p) => p.service))].sort();
  const svcSel = h('select', { id: 'service' },
    h('option', { value: '' }, t('forecast.all_services')),
    services.map((code) => {
      const svc = centre ? centre.services.find((s) => s.code === code) : null;
      return h('option', { value: code }, svc ? `${code} · ${serviceName(svc)}` : code);
    }));
  svcSel.value = services.includes(state.service) ? state.service : '';
  state.service = svcSel.value;
  svcSel.addEventListener('change', () => {
    state.service = svcSel.value;
    render();
    $('service').focus();
  });
  const ahead = d.days.filter((x) => !x.service && x.day >= d.today);
  const openDays = ahead.filter((x) => !x.closed).map((x) => x.day);
  const daySel = h('select', { id: 'plan-day' }, ahead.map((x) => h('option', { value: x.day }, dayText(x.day))));
  daySel.value = state.planDay || openDays[0] || '';
  daySel.addEventListener('change', async () => {
    state.planDay = daySel.value;
    await load();
    $('plan-day').focus();
  });
  const sums = daySums();
  const planDay = d.plan ? d.plan.day : daySel.value;
  out.replaceChildren(...[
    h('div', { class: 'head' },
      h('h2', {}, centre ? centre.name : d.centre),
      h('p', {}, `${t('forecast.generated', { time: gen })} · ${t('forecast.model', { model: d.model })}`)),
    notes,
    accuracyLine(d.accuracy),
    h('div', { class: 'card chart-tools' },
      h('div', {}, h('label', { for: 'service' }, t('forecast.service')), svcSel),
      h('div', {}, h('label', { for: 'plan-day' }, t('forecast.plan_day')), daySel)),
    h('div', { class: 'charts' },
      bandChart(t('forecast.chart.days'), sums, (i) => `${weekday(sums[i].day)} ${Number(sums[i].day.slice(8))}`, { actual: (r) => r.actual }),
      bandChart(t('forecast.chart.hours', { day: dayText(planDay) }), hourSums(planDay), (i) => String(hourSums(planDay)[i].hour).padStart(2, '0'), { booked: true })),
    d.plan ? planSection(centre) : null,
    daysTable(sums),
  ].filter(Boolean));
}

function init() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    if (state.me) $('who').textContent = t('forecast.signed_in_as', { name: state.me.name || state.me.username });
    render();
  });
  $('filter').addEventListener('submit', (ev) => load(ev));
  start();
}

init();
