// The call list: the owners who have not voted, ranked by how much each
// would move the lines not yet reached, filterable by building, with the
// masked phone, an explicit (and server-side recorded) reveal of the full
// number, and the call attempts of each household.

import { asmPath, get, post, seg } from './api.js';
import { cleanText, errorBox, field, fmtArea, fmtInt, fmtTime, formDialog, fromLocalInput, h, hundredths, loading, localInputValue, reasonOf, replace, uid } from './dom.js';
import { longNumber } from './ballot.js';
import { t } from './i18n.js';
import { assemblyHeader, loadAssembly } from './shell.js';

const OUTCOMES = ['NO_ANSWER', 'REFUSED', 'CALL_BACK', 'WILL_VOTE_ONLINE', 'WRONG_NUMBER', 'VOTED'];
// The households drawn at first, and at each "more": a large community's
// list (tens of thousands) is not drawn whole on a phone.
const PAGE = 100;
// After this long, recording a call reads the list again (others' calls,
// votes cast meanwhile); sooner, the call is added to the list drawn.
const STALE_MS = 2 * 60 * 1000;
const VOTING = ['ASSEMBLY_STATE_PUBLISHED', 'ASSEMBLY_STATE_OPEN'];

// buildingOf is the building of a unit id: the part before the first "-".
export function buildingOf(unitId) {
  const i = unitId.indexOf('-');
  return i < 0 ? '' : unitId.slice(0, i);
}

// gaps lists the axes still short of their line: each motion's quorum and
// the approval line of each choice that has one, as {area, head} in 0.01 m²
// and households.
export function gaps(progress) {
  const out = [];
  for (const m of progress.motions || []) {
    out.push({ area: hundredths(m.quorum.remaining.area_m2), head: BigInt(m.quorum.remaining.head || 0) });
    for (const c of m.choices || []) {
      if (c.approval) out.push({ area: hundredths(c.approval.remaining.area_m2), head: BigInt(c.approval.remaining.head || 0) });
    }
  }
  return out;
}

// score is how much a voter of area a (0.01 m²) and headcount hd would
// move the axes still short: for each short axis, the share of its gap the
// voter covers (at most all of it). A big unit scores on the area axes,
// every household on the headcount axes.
export function score(axes, a, hd) {
  let s = 0;
  for (const g of axes) {
    if (g.area > 0n) s += Math.min(1, Number(a) / Number(g.area));
    if (g.head > 0n) s += Math.min(1, Number(hd) / Number(g.head));
  }
  return s;
}

// rank orders the non-voters by score, then area, then unit.
export function rank(nonVoters, progress) {
  const axes = gaps(progress);
  return nonVoters.map((nv) => {
    const a = hundredths(nv.figures.area_m2);
    return { nv, area: a, score: score(axes, a, BigInt(nv.figures.head || 0)) };
  }).sort((x, y) => y.score - x.score || (y.area > x.area ? 1 : y.area < x.area ? -1 : 0) ||
    (x.nv.unit_ids[0] || '').localeCompare(y.nv.unit_ids[0] || ''));
}

export async function callsPage(ctx) {
  replace(ctx.main, loading());
  const a = await loadAssembly(ctx.cid, ctx.aid);
  const state = { building: ctx.query.get('building') || '', limit: PAGE, loadedAt: 0, data: null };
  const list = h('div', { 'data-testid': 'calllist' });
  const msg = h('div', { 'aria-live': 'polite' });
  replace(ctx.main, assemblyHeader(ctx, a, 'calls'), h('h2', {}, t('calls.title')), h('p', { class: 'muted' }, t('calls.intro')), msg, list);
  const dialog = h('dialog', { class: 'dialog' });
  ctx.main.append(dialog);

  const load = async () => {
    const [p, nvResp, callsResp] = await Promise.all([
      get(asmPath(ctx.cid, ctx.aid, '/progress')),
      get(asmPath(ctx.cid, ctx.aid, '/nonvoters')),
      get(asmPath(ctx.cid, ctx.aid, '/calls')),
    ]);
    const calls = {};
    for (const c of callsResp.call_attempts || []) (calls[c.voter] ||= []).push(c);
    state.loadedAt = Date.now();
    state.data = [p, nvResp.non_voters || [], calls];
    draw(...state.data);
  };

  // draw draws the list; focus, when given, then puts the focus where
  // the one who acted is (the list is drawn anew).
  const draw = (p, all, calls, focus) => {
    // A voter whose ballot waits for its check has voted: not one to call.
    const nonVoters = all.filter((nv) => !nv.waiting_ballot_id);
    const waiting = all.length - nonVoters.length;
    const buildings = [...new Set(nonVoters.flatMap((nv) => nv.unit_ids.map(buildingOf)).filter(Boolean))]
      .sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
    const shown = nonVoters.filter((nv) => !state.building || nv.unit_ids.some((u) => buildingOf(u) === state.building));
    const ranked = rank(shown, p);
    const firstGap = (p.motions && p.motions[0]) ? hundredths(p.motions[0].quorum.remaining.area_m2) : 0n;
    const selId = uid('building');
    const filter = h('div', { class: 'filter' },
      h('label', { for: selId }, t('calls.building')),
      h('select', {
        id: selId, 'data-testid': 'building',
        onchange: (ev) => { state.building = ev.target.value; state.limit = PAGE; draw(p, all, calls); },
      }, h('option', { value: '' }, t('calls.allBuildings')), buildings.map((b) => h('option', { value: b, selected: b === state.building }, b))),
      h('span', { class: 'muted', 'data-testid': 'callcount' }, t('calls.count', { n: fmtInt(shown.length) })),
      waiting > 0 ? h('span', { class: 'muted', 'data-testid': 'callwaiting' }, ' · ', t('calls.waiting', { n: fmtInt(waiting) })) : null);
    const canAct = VOTING.includes(a.state);
    const rest = ranked.length - state.limit;
    replace(list, filter, canAct ? null : h('p', { class: 'alert' }, t('calls.closed')),
      h('ol', { class: 'calls' }, ranked.slice(0, state.limit).map((r, i) => row(r, i + 1, calls[r.nv.voter] || [], firstGap, canAct))),
      rest > 0 ? h('p', {}, h('button', {
        type: 'button', 'data-testid': 'call-more',
        onclick: () => {
          const first = state.limit; // the first household drawn anew
          state.limit += PAGE;
          draw(p, all, calls, () => list.querySelectorAll('[data-voter]')[first]?.querySelector('button, a')?.focus());
        },
      }, t('calls.more', { n: fmtInt(Math.min(PAGE, rest)), rest: fmtInt(rest) }))) : null);
    if (focus) focus();
  };

  const row = ({ nv, area }, n, history, firstGap, canAct) => {
    const last = history[history.length - 1];
    const developer = nv.voter === 'developer';
    const phoneCell = h('span', { class: 'phone' }, developer ? t('calls.developer') : nv.masked_phone || t('calls.noPhone'),
      nv.masked_phone ? [' ', h('button', { type: 'button', class: 'link', 'data-reveal': nv.voter, onclick: () => reveal(nv, phoneCell) }, t('calls.reveal'))] : null,
      // A wrong or changed number is put right on the roll, for every
      // later call (CorrectOwner).
      developer ? null : [' ', h('button', { type: 'button', class: 'link', 'data-correct-phone': nv.voter, onclick: () => correctPhone(nv) }, t('calls.correctPhone'))]);
    const helps = firstGap > 0n ? t('calls.helps', { p: (Math.min(1, Number(area) / Number(firstGap)) * 100).toFixed(1) + '%' }) : '';
    return h('li', { class: 'card call', 'data-voter': nv.voter, 'data-units': nv.unit_ids.join(' ') },
      h('div', { class: 'call-main' },
        h('span', { class: 'rank', 'aria-label': t('calls.rank') }, String(n)),
        h('div', {},
          h('strong', { class: 'units' }, nv.unit_ids.join('、')),
          h('div', { class: 'muted small' }, `${fmtArea(nv.figures.area_m2)} m² · ${t('calls.helpsHead')}${helps ? ' · ' + helps : ''}`)),
        h('div', { class: 'call-phone' }, phoneCell)),
      h('div', { class: 'call-last muted small' }, t('calls.last'), ': ',
        last ? `${t('outcome.' + outcomeName(last.outcome))} · ${fmtTime(last.record_time)} · ${last.recorded_by}${last.callback_time ? ' → ' + fmtTime(last.callback_time) : ''}` : t('calls.never')),
      h('div', { class: 'call-actions' },
        canAct ? h('button', { type: 'button', 'data-record-call': nv.voter, onclick: () => recordCall(nv) }, t('calls.record')) : null,
        // A vote is recorded only while voting is open (calls are logged
        // from publication on).
        a.state === 'ASSEMBLY_STATE_OPEN' ? h('a', { class: 'button', href: `#/c/${seg(ctx.cid)}/a/${seg(ctx.aid)}/record?voter=${encodeURIComponent(nv.voter)}` }, t('calls.recordVote')) : null),
      h('details', { class: 'history' }, h('summary', {}, `${t('calls.history')} (${history.length})`),
        history.length === 0 ? h('p', { class: 'muted' }, t('calls.historyNone')) : h('ul', {}, history.slice().reverse().map((c) => h('li', {},
          `${fmtTime(c.record_time)} · ${t('channel.' + String(c.channel).replace('CHANNEL_', ''))} · ${t('outcome.' + outcomeName(c.outcome))}`,
          c.callback_time ? ` → ${fmtTime(c.callback_time)}` : '', c.note ? ` · ${c.note}` : '', ` · ${c.recorded_by}`)))));
  };

  const reveal = (nv, cell) => {
    // No reason given in advance: the reveal is recorded with the reason
    // the staff member writes.
    const [reason, reasonF] = field(t('calls.reason'), { required: true, maxlength: 200, placeholder: t('calls.reasonPlaceholder'), 'data-testid': 'reveal-reason' });
    formDialog(dialog, {
      title: t('calls.revealTitle'),
      intro: [h('p', {}, nv.unit_ids.join('、'), ' · ', nv.masked_phone), h('p', { class: 'muted' }, t('calls.revealIntro'))],
      fields: reasonF, submit: t('calls.revealSubmit'), testid: 'reveal-save',
      check: () => reasonOf(reason),
      send: (body) => post(`/communities/${seg(ctx.cid)}/owners/${seg(nv.voter)}:revealPhone`, body),
      done: (r) => replace(cell, h('span', { class: 'sr-only' }, t('calls.revealed')), h('a', { href: 'tel:' + r.phone, 'data-revealed': nv.voter }, r.phone)),
    });
    reason.select();
  };

  const correctPhone = (nv) => {
    const ids = { phone: uid('phone'), remove: uid('remove'), reason: uid('reason') };
    const phone = h('input', { id: ids.phone, type: 'tel', maxlength: 20, autocomplete: 'off', 'data-testid': 'new-phone' });
    const remove = h('input', { id: ids.remove, type: 'checkbox', 'data-testid': 'remove-phone', onchange: () => { phone.disabled = remove.checked; } });
    const reason = h('input', { id: ids.reason, required: true, maxlength: 200, placeholder: t('calls.correctReasonPlaceholder'), 'data-testid': 'correct-reason' });
    formDialog(dialog, {
      title: t('calls.correctTitle'),
      intro: [h('p', {}, nv.unit_ids.join('、'), ' · ', nv.masked_phone || t('calls.noPhone')), h('p', { class: 'muted' }, t('calls.correctIntro'))],
      fields: [h('label', { for: ids.phone }, t('calls.newPhone')), phone,
        h('div', { class: 'radio' }, remove, h('label', { for: ids.remove }, t('calls.removePhone'))),
        h('label', { for: ids.reason }, t('calls.reason')), reason],
      submit: t('calls.correctSubmit'),
      testid: 'correct-save',
      check: () => {
        const body = reasonOf(reason);
        if (typeof body === 'string') return body;
        if (remove.checked) body.remove_phone = true; else body.phone = phone.value.trim();
        return body.remove_phone || body.phone ? body : t('calls.phoneOrRemove');
      },
      send: (body) => post(`/communities/${seg(ctx.cid)}/owners/${seg(nv.voter)}:correct`, body),
      done: async (r) => {
        replace(msg, h('p', { class: 'alert ok', role: 'status' }, t('calls.corrected'), ' ', nv.unit_ids.join('、'), ' · ',
          r.change.masked_phone_after || t('calls.noPhone')));
        try {
          await load();
        } catch (e) {
          msg.append(errorBox(e));
        }
      },
    });
    phone.focus();
  };

  const recordCall = (nv) => {
    const ids = { cb: uid('cb'), ch: uid('ch'), note: uid('note') };
    const callback = h('input', { id: ids.cb, type: 'datetime-local', value: localInputValue(new Date(Date.now() + 3600 * 1000)), 'data-testid': 'callback' });
    const cbWrap = h('div', { hidden: true }, h('label', { for: ids.cb }, t('calls.callback')), callback);
    const channel = h('select', { id: ids.ch }, h('option', { value: 'CHANNEL_PHONE' }, t('channel.PHONE')), h('option', { value: 'CHANNEL_VISIT' }, t('channel.VISIT')));
    const note = h('textarea', { id: ids.note, maxlength: 500, rows: 2, 'data-testid': 'call-note' });
    const radios = h('fieldset', {}, h('legend', {}, t('calls.outcome')), OUTCOMES.map((o, i) => {
      const id = uid('o');
      return h('div', { class: 'radio' }, h('input', {
        type: 'radio', name: 'outcome', id, value: o, checked: i === 0, 'data-outcome': o,
        onchange: () => { cbWrap.hidden = o !== 'CALL_BACK'; callback.required = o === 'CALL_BACK'; },
      }), h('label', { for: id }, t('outcome.' + o)));
    }));
    formDialog(dialog, {
      title: [t('calls.record'), ' · ', nv.unit_ids.join('、')], intro: null,
      fields: [radios, cbWrap, h('label', { for: ids.ch }, t('calls.channel')), channel, h('label', { for: ids.note }, t('calls.note')), note],
      submit: t('calls.save'), testid: 'call-save',
      check: () => {
        const outcome = radios.querySelector('input[name=outcome]:checked').value;
        const body = { voter: nv.voter, outcome: 'CALL_OUTCOME_' + outcome, channel: channel.value, note: cleanText(note.value) };
        if (longNumber(body.note)) return t('text.longNumber');
        if (outcome === 'CALL_BACK') {
          const at = fromLocalInput(callback.value);
          if (at) body.callback_time = at.toISOString();
        }
        return body;
      },
      send: (body) => post(asmPath(ctx.cid, ctx.aid, '/calls'), body),
      done: async (attempt) => {
        replace(msg, h('p', { class: 'alert ok', role: 'status' }, t('calls.saved'), ' ', nv.unit_ids.join('、')));
        // The call joins the list drawn; the whole list is read again only
        // once it is a while old (it is large in a large community).
        if (Date.now() - state.loadedAt < STALE_MS && state.data) {
          const [p, all, calls] = state.data;
          (calls[nv.voter] ||= []).push(attempt);
          draw(p, all, calls, () => list.querySelector(`[data-record-call="${CSS.escape(nv.voter)}"]`)?.focus());
          return;
        }
        try {
          await load();
        } catch (e) {
          msg.append(errorBox(e));
        }
      },
    });
  };

  await load();
}

function outcomeName(o) {
  return String(o).replace('CALL_OUTCOME_', '');
}
