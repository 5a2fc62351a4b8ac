// Kiosk touchscreen: the dossier pre-check screens (choose a procedure →
// put the papers in the scanner → scanning → checking → result → a number
// with the result attached and a printed checklist), the "out of service"
// cover when the server no longer serves this kiosk, and the browser
// watchdog's ping. A module beside kiosk.js: it adds its own screens
// (class "screen", id s-precheck-STEP, so kiosk.js shows them by the flow
// state) and follows /api/events on its own socket. printing / printed /
// failed use kiosk.js's shared screens; the printed step's data is the
// ticket, with the pre-check beside it in .precheck.
import '/kiosk/kiosk.i18n.js';
import { t, lang } from '/assets/i18n.js';
import { api } from '/assets/api.js';
import './ping.js';

// Texts of these screens: kiosk.check.* in kiosk.i18n.js. Document
// statuses come from the shared words (precheck.status.*).
const tx = (key, params = {}) => t('kiosk.check.' + key, params);
const en = () => lang() === 'en';

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

const go = (body) => api('POST', '/api/flow', body).catch(() => {});

// --- screens ------------------------------------------------------------------
const main = document.querySelector('main');
const screens = {};
for (const step of ['choose-procedure', 'insert', 'scanning', 'checking', 'result']) {
  screens[step] = el('section', { id: `s-precheck-${step}`, class: 'screen precheck', hidden: '' });
  main.append(screens[step]);
}
// The checklist beside the shared printed screen.
const printedBox = el('div', { id: 'precheck-printed', class: 'alert info precheck-printed', hidden: '' });
document.getElementById('s-printed')?.append(printedBox);
// The out-of-service cover.
const cover = el('div', { id: 'out-of-service', class: 'out-of-service', role: 'alert', hidden: '' });
document.body.append(cover);

let state = { flow: 'home', step: 'home', seq: 0 };
let procedures = [];
let procedure = null; // the chosen procedure's id
let view = null; // the last result
let scanPage = 0;
let checkProgress = null;
let suspended = '';

async function loadProcedures() {
  procedures = await api('GET', '/api/procedures').catch(() => procedures);
}
const procOf = (id) => procedures.find((p) => p.id === id);
const procName = (p) => (p ? (en() ? p.name_en || p.name : p.name) : '');

// What the procedure list was last drawn from: drawn again only when it changes, so a
// button under the citizen's finger is never replaced between touch and tap.
let choseDrawn = '';

function renderChoose() {
  const key = JSON.stringify([en(), procedures]);
  if (key === choseDrawn && screens['choose-procedure'].childElementCount) return;
  choseDrawn = key;
  const list = el('div', { class: 'services' }, ...procedures.map((p) =>
    el('button', { class: 'service', onclick: () => go({ flow: 'precheck', step: 'insert', data: { procedure: p.id } }) },
      el('span', { class: 'name', text: procName(p) }),
      el('span', { class: 'meta', text: `${p.papers.filter((x) => x.required).length} ${en() ? 'papers' : 'giấy tờ'}` }))));
  screens['choose-procedure'].replaceChildren(el('h1', { text: tx('title') }), el('p', { class: 'lead', text: tx('choose') }), list);
}

function renderInsert(data) {
  procedure = data?.procedure || procedure;
  const p = procOf(procedure);
  const papers = el('ul', { class: 'papers' }, ...(p?.papers || []).map((x) =>
    el('li', { text: x.name + (x.required ? '' : ' ' + tx('optional')) })));
  screens.insert.replaceChildren(
    el('h1', { text: procName(p) || tx('title') }),
    el('div', { class: 'guide' },
      el('div', {}, el('p', { class: 'guide-title', text: tx('insert_title') }), el('p', { class: 'lead', text: tx('insert_hint') }), el('p', { text: tx('insert_card') }))),
    el('h2', { text: tx('papers') }), papers,
    el('div', { class: 'actions-big' },
      el('button', { class: 'huge', text: tx('start'), onclick: () => scan('/api/precheck/start', { procedure }) }),
      el('button', { class: 'secondary', text: tx('back'), onclick: () => go({ flow: 'precheck', step: 'choose-procedure' }) })));
}

async function scan(path, body) {
  scanPage = 0;
  checkProgress = null;
  try {
    view = await api('POST', path, body);
  } catch {
    /* the machine shows the failure; the event carries the words */
  }
}

function renderBusy(step) {
  const pct = checkProgress && checkProgress.pages ? Math.round((100 * checkProgress.done) / checkProgress.pages) : null;
  const line = step === 'scanning'
    ? (scanPage ? tx('scanning_page', { n: scanPage }) : '')
    : (checkProgress ? tx('checking_page', { done: checkProgress.done, pages: checkProgress.pages }) : '');
  screens[step].replaceChildren(
    el('div', { class: 'spinner', 'aria-hidden': 'true' }),
    el('p', { class: 'lead', text: tx(step) }),
    el('p', { class: 'precheck-progress', text: line }),
    step === 'checking' && pct != null ? el('progress', { max: '100', value: String(pct) }) : null);
  screens[step].classList.add('center');
}

function statusLabel(s) { return t(`precheck.status.${s}`); }

function renderResult(v) {
  view = v || view;
  if (!view) return;
  const review = view.documents.filter((d) => d.status !== 'present' && d.required).length;
  const docs = el('ul', { class: 'precheck-docs' }, ...view.documents.map((d) =>
    el('li', { 'data-status': d.status },
      el('span', { class: `badge precheck-${d.status}`, text: statusLabel(d.status) }),
      el('strong', { text: ' ' + d.name }),
      ...(en() ? d.reasons_en || d.reasons : d.reasons).map((r) => el('p', { class: 'reason', text: r })))));
  const problems = (en() ? view.problems_en || view.problems : view.problems) || [];
  const actions = el('div', { class: 'actions-big' });
  if (view.service) {
    actions.append(el('button', { class: 'huge', text: tx('take'), onclick: () => ticket({}) }));
  } else {
    actions.append(el('p', { class: 'lead', text: tx('choose_service') }));
    api('GET', '/api/services').then((svcs) => {
      actions.prepend(...svcs.map((s) => el('button', { class: 'service', text: `${s.code} · ${en() && s.name_en ? s.name_en : s.name}`, onclick: () => ticket({ service: s.code }) })));
    }).catch(() => {});
  }
  actions.append(
    el('button', { class: 'secondary', text: tx('more'), onclick: () => scan('/api/precheck/more', {}) }),
    el('button', { class: 'secondary', text: tx('again'), onclick: () => scan('/api/precheck/start', { procedure: view.procedure }) }),
    el('button', { class: 'secondary', text: tx('home'), onclick: () => go({ flow: 'home' }) }));
  screens.result.replaceChildren(
    el('h1', { text: en() ? view.name_en || view.name : view.name }),
    el('div', { class: view.ok ? 'alert info lead' : 'alert warn lead', role: 'status', text: view.ok ? tx('ok') : tx('not_ok', { n: review }) }),
    el('p', { class: 'muted', text: tx('pages', { n: view.pages }) }),
    docs,
    ...problems.map((p) => el('p', { class: 'alert warn', text: p })),
    actions);
}

async function ticket(body) {
  try {
    await api('POST', '/api/precheck/ticket', body);
  } catch {
    /* shown by the machine */
  }
}

function renderPrinted(data) {
  const pre = data?.precheck;
  printedBox.hidden = !pre;
  if (!pre) return;
  printedBox.replaceChildren(el('strong', { text: tx('checklist') }),
    el('pre', { class: 'precheck-checklist', text: (pre.checklist || []).join('\n') }),
    pre.print_error ? el('p', { text: en() ? pre.print_error.message_en : pre.print_error.message }) : null);
}

function show(st, redraw = false) {
  if (st.seq < state.seq && st.flow === state.flow) return;
  // A touch (or key) re-sends the same step: drawing it again would take
  // the key focus off the button it is on.
  const same = st.flow === state.flow && st.step === state.step && JSON.stringify(st.data) === JSON.stringify(state.data);
  state = st;
  if (st.flow !== 'precheck') { printedBox.hidden = true; return; }
  if (same && !redraw) return;
  switch (st.step) {
    case 'choose-procedure': loadProcedures().then(renderChoose); break;
    case 'insert': loadProcedures().then(() => renderInsert(st.data)); break;
    case 'scanning': case 'checking': renderBusy(st.step); break;
    case 'result': renderResult(st.data); break;
    case 'printed': renderPrinted(st.data); break;
  }
}

function renderCover() {
  cover.hidden = !suspended;
  if (!suspended) return;
  const pending = suspended === 'pending';
  cover.replaceChildren(el('div', {},
    el('h1', { text: tx(pending ? 'pending_title' : 'out_title') }),
    el('p', { class: 'lead', text: tx(pending ? 'pending_text' : 'out_text') }),
    el('p', { class: 'muted', text: pending ? 'Waiting for approval' : 'Out of service' })));
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/events`);
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'flow') show(e.flow);
    else if (e.type === 'scan' && e.scan) { scanPage = e.scan.page; if (state.step === 'scanning') renderBusy('scanning'); }
    else if (e.type === 'check' && e.check) { checkProgress = e.check; if (state.step === 'checking') renderBusy('checking'); }
    else if (e.type === 'link' && e.link) { suspended = e.link.suspended || ''; renderCover(); }
  };
  ws.onclose = () => setTimeout(connect, 1000);
}

document.addEventListener('langchange', () => { show({ ...state }, true); renderCover(); });
api('GET', '/api/status').then((s) => { suspended = s?.link?.suspended || ''; renderCover(); }).catch(() => {});
connect();
