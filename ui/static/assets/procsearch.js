// The procedure search of the booking page and the counter console: a
// question in everyday words goes to GET /api/v1/procedures?q=&centre=,
// the answer (best first, up to three) shows each procedure's papers, fee,
// time and where (the centre's service and counters).
import '/assets/procsearch.i18n.js';
import { lang, t } from '/assets/i18n.js';
import { api, debounce, h } from '/assets/api.js';

let seq = 0;

/**
 * Puts a search box and its results into box. centre() gives the centre
 * whose services resolve (or ''); choose, when given, adds a button to
 * each result with a service: choose(service code), labelled chooseLabel().
 */
export function procedureSearch(box, { centre = () => '', choose = null, chooseLabel = null } = {}) {
  const id = `procs-q-${++seq}`;
  const input = h('input', { id, type: 'search', autocomplete: 'off', maxlength: '200', class: 'procs-q' });
  const label = h('label', { for: id });
  const results = h('div', { class: 'procs-results', 'aria-live': 'polite' });
  box.append(label, input, results);
  let last = null;
  const words = () => {
    label.textContent = t('procs.label');
    input.placeholder = t('procs.placeholder');
  };
  const render = () => {
    words();
    if (last === null) { results.replaceChildren(); return; }
    if (last === 'failed') { results.replaceChildren(h('p', { class: 'alert error', role: 'alert' }, t('procs.failed'))); return; }
    if (!last.length) { results.replaceChildren(h('p', { class: 'procs-none' }, t('procs.none'))); return; }
    const en = lang() === 'en';
    results.replaceChildren(...last.map((p) => {
      const facts = h('dl', { class: 'procs-facts' },
        h('dt', {}, t('procs.fee')), h('dd', {}, en ? (p.fee_en || p.fee) : p.fee),
        h('dt', {}, t('procs.time')), h('dd', {}, en ? (p.time_en || p.time) : p.time));
      const where = [p.where, p.service && p.service_name ? `${p.service} · ${p.service_name}` : p.service,
        p.counters?.length ? t('procs.counters', { n: p.counters.join(', ') }) : ''].filter(Boolean).join(' · ');
      if (where) facts.append(h('dt', {}, t('procs.where')), h('dd', {}, where));
      if (p.form_name) facts.append(h('dt', {}, t('procs.form')), h('dd', {}, p.form_name));
      return h('article', { class: 'procs-item card', dataset: { procedure: p.id } },
        h('h3', {}, en ? (p.name_en || p.name) : p.name),
        h('p', { class: 'muted' }, t('procs.papers')),
        h('ul', {}, (p.papers || []).map((x) => h('li', {}, paperText(x)))),
        facts,
        choose && p.service ? h('button', { type: 'button', class: 'procs-choose', onclick: () => choose(p.service) }, chooseLabel ? chooseLabel() : p.service) : null);
    }));
  };
  const ask = debounce(async () => {
    const q = input.value.trim();
    if (!q) { last = null; render(); return; }
    const c = centre();
    let got;
    try {
      got = await api('GET', `/api/v1/procedures?q=${encodeURIComponent(q)}${c ? '&centre=' + encodeURIComponent(c) : ''}`);
    } catch {
      got = 'failed';
    }
    if (q !== input.value.trim()) return; // typed on meanwhile
    last = got;
    render();
  }, 250);
  input.addEventListener('input', ask);
  document.addEventListener('langchange', render);
  render();
  return { input, results };
}

function paperText(x) {
  const bits = [];
  if (x.count > 1) bits.push(t('procs.count', { n: x.count }));
  if (x.kind) bits.push(t('procs.kind.' + x.kind));
  return x.name + (bits.length ? ` (${bits.join(', ')})` : '') + (x.note ? ` — ${x.note}` : '');
}
