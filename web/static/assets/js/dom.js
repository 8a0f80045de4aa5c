// DOM and formatting helpers. Pages are built with h(): text always goes
// in as text nodes, never as HTML, and styles are set through the CSSOM
// (the Content-Security-Policy allows no inline styles or scripts).

import { longNumber, sha256Hex } from './ballot.js';
import { lang, t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

const BOOLEAN_ATTRS = new Set(['disabled', 'checked', 'selected', 'hidden', 'required', 'readonly', 'multiple', 'open', 'novalidate']);

// h creates an element: h('p', {class: 'x', onclick: f}, 'text', child…).
// A tag 'svg:rect' is made in the SVG namespace.
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    // A boolean attribute is there or not: an empty string (a field the
    // API gives empty) leaves it out.
    if (BOOLEAN_ATTRS.has(k) && !v) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && !svg) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace puts children in place of el's content.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// uid makes element ids for labels.
let next = 0;
export function uid(prefix = 'f') {
  next += 1;
  return `${prefix}-${next}`;
}

// hundredths reads an area in m² ("1034.20") as a BigInt of 0.01 m². Areas
// are exact decimals and never go through floating point.
export function hundredths(s) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(s || '0').trim());
  if (!m) return 0n;
  const v = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0'));
  return m[1] ? -v : v;
}

function groupDigits(s) {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// fmtArea writes hundredths (or an area string) as "1,034.20".
export function fmtArea(v) {
  const x = typeof v === 'bigint' ? v : hundredths(v);
  const neg = x < 0n;
  const a = neg ? -x : x;
  return (neg ? '-' : '') + groupDigits((a / 100n).toString()) + '.' + (a % 100n).toString().padStart(2, '0');
}

// fmtInt writes a count (a number or an int64 string) with separators.
export function fmtInt(v) {
  return groupDigits(BigInt(v || 0).toString());
}

// share is a/b as a number between 0 and 1, for drawing only.
export function share(a, b) {
  const x = Number(a);
  const y = Number(b);
  if (!(y > 0)) return 0;
  return Math.max(0, Math.min(1, x / y));
}

// pct writes a share as a percentage with one decimal.
export function pct(a, b) {
  return (share(a, b) * 100).toFixed(1) + '%';
}

const ZONE = 'Asia/Shanghai';

// DAY_MS is a day in milliseconds.
export const DAY_MS = 24 * 3600 * 1000;

// fmtTime writes a timestamp in Beijing time.
export function fmtTime(ts, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  if (!ts) return '';
  const d = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return '';
  return new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: ZONE, ...opts }).format(d);
}

// localInputValue writes a Date as the value of an <input type="datetime-local">
// in Beijing time; fromLocalInput reads it back.
export function localInputValue(d) {
  const p = new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const get = (type) => p.find((x) => x.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v + ':00+08:00');
  return Number.isNaN(d.getTime()) ? null : d;
}

// errorText is what an error says to people, in the console's language.
export function errorText(err) {
  if (err && err.status !== undefined) {
    const main = lang() === 'zh' && err.messageZh ? err.messageZh : err.message;
    const extra = lang() === 'zh' && err.messageZh ? ` (${err.message})` : '';
    return `${main}${extra}${err.reason ? ' [' + err.reason + ']' : ''}`;
  }
  // fetch fails with a TypeError when the server cannot be reached.
  if (err instanceof TypeError) return `${t('error.network')} (${err.message})`;
  return String((err && err.message) || err);
}

// alertBox is an alert with a problem's text.
export function alertBox(text) {
  return h('p', { class: 'alert error', role: 'alert' }, text);
}

// errorBox is an alert with an error's text.
export function errorBox(err) {
  return alertBox(errorText(err));
}

// confirmField is the box ticked to confirm what cannot be undone: [the
// box, its nodes].
export function confirmField(testid) {
  const id = uid('ok');
  const box = h('input', { id, type: 'checkbox', 'data-testid': testid });
  return [box, h('div', { class: 'radio' }, box, h('label', { for: id }, t('asm.confirm')))];
}

// problemsBox is errorBox with the refusal's problems one per row (a
// roster's, or a sale's new owners'): where, and what, in the page's
// language.
export function problemsBox(err) {
  const vs = (err && err.violations) || [];
  return [errorBox(err), vs.length ? h('table', { class: 'problems', 'data-testid': 'problems' },
    h('thead', {}, h('tr', {}, h('th', {}, t('roster.where')), h('th', {}, t('roster.problem')))),
    h('tbody', {}, vs.map((v) => h('tr', {}, h('td', { class: 'mono small' }, v.field),
      h('td', {}, (lang() === 'zh' && v.localized_message && v.localized_message.message) || v.description))))) : null];
}

// loading is the placeholder while a page loads.
export function loading() {
  return h('p', { class: 'muted', role: 'status' }, t('loading'));
}

// stateBadge shows an assembly state.
export function stateBadge(state) {
  const s = String(state || '').replace('ASSEMBLY_STATE_', '');
  return h('span', { class: `badge state-${s.toLowerCase()}` }, t('state.' + s));
}

// bilingual picks one language from the server's "中文 / English" texts.
export function bilingual(s) {
  const i = String(s || '').indexOf(' / ');
  if (i < 0) return s || '';
  return lang() === 'zh' ? s.slice(0, i) : s.slice(i + 3);
}

// formDialog shows in dialog a form: a title, an intro, fields, and a
// submit button (submit, testid) beside Cancel. On submit, check() gives
// the request's body, or a problem to show; send(body) sends it, one
// request at a time, a refusal staying in the dialog with its problems;
// done(reply) runs once the dialog has closed.
export function formDialog(dialog, { title, intro, fields, submit, testid, check, send, done }) {
  const titleId = uid('dlg');
  const introId = uid('intro');
  const err = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': testid }, submit);
  // Named by its title and described by its intro (what it does, what it
  // freezes), which focus on its first field would skip.
  dialog.setAttribute('aria-labelledby', titleId);
  dialog.setAttribute('aria-describedby', introId);
  replace(dialog, h('form', {
    method: 'dialog', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const body = check();
      if (typeof body === 'string') {
        replace(err, alertBox(body));
        return;
      }
      // A second click would send it again into a dialog about to close.
      save.disabled = true;
      let r;
      try {
        r = await send(body);
      } catch (e) {
        replace(err, problemsBox(e));
        save.disabled = false;
        return;
      }
      dialog.close();
      await done(r);
    },
  }, h('h2', { id: titleId }, title), h('div', { id: introId }, intro), fields, err,
  h('div', { class: 'actions' }, save, h('button', { type: 'button', onclick: () => dialog.close() }, t('calls.cancel')))));
  dialog.showModal();
}

// digestOf has hashInput follow the SHA-256 (hex) of the file chosen in
// fileInput: emptied as soon as the choice changes, filled once the digest
// of the file still chosen is ready (a file chosen meanwhile wins), with
// busy(true) while it is computed and busy(false) after.
export function digestOf(fileInput, hashInput, busy) {
  let turn = 0;
  // (hashInput.dataset.hashing says it too, for docProblem.)
  const set = (on) => {
    hashInput.dataset.hashing = on ? 'true' : '';
    busy(on);
  };
  fileInput.addEventListener('change', async () => {
    const mine = ++turn;
    hashInput.value = '';
    const f = fileInput.files[0];
    if (!f) {
      set(false);
      return;
    }
    set(true);
    try {
      const d = await sha256Hex(await f.arrayBuffer());
      if (mine === turn) hashInput.value = d;
    } finally {
      if (mine === turn) set(false);
    }
  });
}

// field is a labelled input, with a hint under it if one is given:
// [the input, its nodes].
export function field(label, attrs, hint) {
  const id = uid('f');
  const hintEl = hint ? h('p', { class: 'muted small', id: id + '-hint' }, hint) : null;
  const input = h('input', { id, 'aria-describedby': hint ? id + '-hint' : null, ...attrs });
  return [input, [h('label', { for: id }, label), input, hintEl]];
}

// docField is a document's SHA-256, typed or computed here from a file
// (which is not sent), with a word while it is computed: [the input, its
// nodes].
export function docField(label, attrs, fileLabel = t('roll.hashFile'), accept = null) {
  const [input, labelled] = field(label, { maxlength: 64, autocomplete: 'off', spellcheck: 'false', class: 'mono', ...attrs });
  const fid = uid('file');
  const file = h('input', { id: fid, type: 'file', accept, 'data-testid': attrs['data-testid'] ? attrs['data-testid'] + '-file' : null });
  const hashing = h('p', { class: 'muted small', role: 'status' });
  digestOf(file, input, (on) => replace(hashing, on ? t('record.hashing') : ''));
  return [input, [labelled, h('label', { for: fid, class: 'small' }, fileLabel), file, hashing]];
}

// docProblem is what keeps a document's SHA-256 from being sent: its file
// still being read, none where one is required, or one that is no SHA-256.
export function docProblem(input, required) {
  if (input.dataset.hashing) return t('record.hashing');
  const v = input.value.trim();
  if (!v) return required ? t('roll.docMissing') : '';
  return /^[0-9a-fA-F]{64}$/.test(v) ? '' : t('roll.docBad');
}

// cleanText is a line of text as the server takes it: the invisible
// characters a paste brings along dropped (the server refuses them),
// spaces collapsed.
export function cleanText(s) {
  return s.replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]/g, '').trim().replace(/\s+/g, ' ');
}

// reasonOf reads a recorded reason from input: { reason }, or what is
// wrong with it (a string), as the server would say.
export function reasonOf(input) {
  const r = cleanText(input.value);
  if (!r) return t('roll.reasonMissing');
  if (longNumber(r)) return t('text.longNumber');
  return { reason: r };
}

// filterSelect has search filter select's options by their unit numbers
// (an option's data-units, space separated), never by anything else its
// text shows (an area). A household whose unit number is typed whole is
// chosen; one filtered out is no longer chosen, and no other is chosen in
// its place: the household wanted may not be on the list at all (it has
// voted, or its ballot waits for its check), which note then says, with
// how many match. Then onChange().
export function filterSelect(search, select, note, onChange = () => {}) {
  search.addEventListener('input', () => {
    const q = search.value.trim();
    const units = (o) => (o.dataset.units || '').split(' ');
    let shown = 0;
    let exact = null;
    for (const o of select.options) {
      if (!o.value) continue;
      o.hidden = q !== '' && !units(o).some((u) => u.includes(q));
      if (!o.hidden) shown++;
      if (q && !o.disabled && units(o).includes(q)) exact = o;
    }
    if (exact) select.value = exact.value;
    else if (select.selectedOptions[0]?.hidden) select.value = '';
    replace(note, !q ? '' : shown === 0 ? t('record.noMatch', { q }) : t('record.matches', { n: shown }));
    onChange();
  });
}
