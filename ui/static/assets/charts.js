// Inline SVG charts of the admin pages (reports, forecast): no chart
// library, the page's own colours and words.

import { h } from '/assets/api.js';

const svgNS = 'http://www.w3.org/2000/svg';

/** An SVG element with its attributes and children (nodes or text). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A chart's legend: [colour, text] pairs. */
export function legend(items) {
  return h('div', { class: 'legend' }, items.map(([c, text]) => h('span', { style: `--c:${c}` }, text)));
}
