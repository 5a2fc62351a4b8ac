// Dates as the page's language writes them, dd/mm/yyyy, whatever the
// browser's own locale: an <input type="date"> follows the browser's
// (11/24/2026 in an English-locale browser on a Vietnamese page), so date
// fields are text fields that show and accept dd/mm/yyyy and give the API
// YYYY-MM-DD.

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const DMY = /^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$/;

/** formatDate turns "2026-11-24" into "24/11/2026" ("" for anything else). */
export function formatDate(iso) {
  const m = ISO.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** parseDate reads "24/11/2026" (also 24-11-2026, 24.11.2026, 1/2/2026)
 * into "2026-11-24"; "" when it is not a real calendar date. */
export function parseDate(text) {
  const m = DMY.exec(text || '');
  if (!m) return '';
  const d = +m[1];
  const mo = +m[2];
  const y = +m[3];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return '';
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** dateField makes an <input> a dd/mm/yyyy field: its `iso` property gets
 * and sets the date as YYYY-MM-DD ("" when what is typed is not a date),
 * and it is marked aria-invalid while it holds something else. */
export function dateField(input, iso = '') {
  input.type = 'text';
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  input.placeholder = 'dd/mm/yyyy';
  input.maxLength = 10;
  Object.defineProperty(input, 'iso', {
    configurable: true,
    get: () => parseDate(input.value),
    set: (v) => { input.value = formatDate(v) || v || ''; input.removeAttribute('aria-invalid'); },
  });
  input.iso = iso;
  input.addEventListener('blur', () => {
    const v = parseDate(input.value);
    if (v) input.value = formatDate(v);
    if (input.value && !v) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  });
  return input;
}
