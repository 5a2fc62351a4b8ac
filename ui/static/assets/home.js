// The public home page, for now a list of centres with their calling
// displays; online booking comes here later.

import { apply, bindSwitch, t } from '/assets/i18n.js';
import { $, api, h, seg } from '/assets/api.js';

let centres = null;

function render() {
  if (!centres) return;
  $('centres').replaceChildren(
    ...(centres.length
      ? centres.map((c) =>
        h('li', { class: 'card' },
          h('strong', {}, c.name || c.id),
          h('a', { href: `/display/?centre=${seg(c.id)}` }, t('home.display'))))
      : [h('li', { class: 'muted' }, t('home.none'))]),
  );
}

async function start() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', render);
  try {
    centres = await api('GET', '/api/v1/centres');
    render();
  } catch (err) {
    $('centres').replaceChildren();
    $('error').textContent = err.message;
    $('error').hidden = false;
  }
}

start();
