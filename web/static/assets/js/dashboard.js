// The campaign dashboard: for each motion, participation (area and
// headcount) toward the quorum line and agreement toward the motion's
// threshold, with exactly what is still missing; turnout by hour and counts
// by channel. It polls GetProgress every 2 s.

import { asmPath, get, post, seg, serverNow } from './api.js';
import { agendaCard, MIN_NOTICE_MS, noticeText } from './agenda.js';
import { bilingual, confirmField, errorBox, fmtArea, fmtInt, fmtTime, formDialog, h, hundredths, loading, reasonOf, replace, share, uid } from './dom.js';
import { t } from './i18n.js';
import { assemblyHeader, can, loadAssembly } from './shell.js';

const POLL_MS = 2000;
const FINAL = ['ASSEMBLY_STATE_PRELIMINARY', 'ASSEMBLY_STATE_CERTIFIED', 'ASSEMBLY_STATE_CANCELLED'];

export async function dashboardPage(ctx) {
  replace(ctx.main, loading());
  // The committee's names for the agenda (a list the role may not read
  // leaves their key ids).
  const [first, signers] = await Promise.all([loadAssembly(ctx.cid, ctx.aid),
    get('/signers?community_id=' + seg(ctx.cid)).then((r) => r.signers || [], () => [])]);
  let a = first;
  const body = h('div', { 'data-testid': 'dashboard' });
  const live = h('p', { class: 'muted small', role: 'status', 'data-testid': 'live' });
  let header = assemblyHeader(ctx, a, 'dashboard');
  // A draft just made says so, and where it goes from here.
  const done = h('div', { 'aria-live': 'polite' },
    ctx.query.get('created') && a.state === 'ASSEMBLY_STATE_DRAFT' ? h('p', { class: 'alert ok', role: 'status', 'data-testid': 'created' }, t('new.created')) : null);
  let actions = stateActions(ctx, a, done);
  // The agenda is unfolded while it can still be checked before publication.
  const copy = can(ctx.me, 'create') ? `#/c/${seg(ctx.cid)}/new?from=${seg(ctx.aid)}` : null;
  let agenda = agendaCard(a, signers, a.state === 'ASSEMBLY_STATE_DRAFT', copy);
  replace(ctx.main, header, actions, done, live, body, agenda);

  let version = null;
  let stopped = false;
  let timer = null;
  ctx.onLeave(() => {
    stopped = true;
    clearTimeout(timer);
  });
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        const p = await get(asmPath(ctx.cid, ctx.aid, '/progress'));
        if (stopped) return;
        if (p.state !== a.state) {
          // Opened or closed meanwhile: the header's state and tabs follow.
          a = await loadAssembly(ctx.cid, ctx.aid);
          if (stopped) return;
          const fresh = assemblyHeader(ctx, a, 'dashboard');
          header.replaceWith(fresh);
          header = fresh;
          const freshActions = stateActions(ctx, a, done);
          actions.replaceWith(freshActions);
          actions = freshActions;
          const freshAgenda = agendaCard(a, signers, a.state === 'ASSEMBLY_STATE_DRAFT', copy);
          agenda.replaceWith(freshAgenda);
          agenda = freshAgenda;
        }
        const key = `${p.version}/${p.state}`;
        if (key !== version) {
          version = key;
          replace(body, progressView(a, p));
          body.dataset.version = p.version;
        }
        if (FINAL.includes(p.state)) {
          replace(live, t('dash.final'));
          return;
        }
        replace(live, t('dash.live', { time: fmtTime(new Date(), { timeStyle: 'medium' }) }));
      } catch (err) {
        if (stopped) return;
        replace(live, errorBox(err));
      }
    }
    timer = setTimeout(tick, POLL_MS);
  };
  await tick();
}

// stateActions are the buttons that move an assembly on, as the server's
// policy allows them: publishing a draft (staff), cancelling it (staff
// until voting opens, a street admin after) and closing its vote early (a
// street admin). Each asks for a confirmation, and the last two for a
// reason: none is undone.
function stateActions(ctx, a, done) {
  const open = a.state === 'ASSEMBLY_STATE_OPEN';
  const publish = a.state === 'ASSEMBLY_STATE_DRAFT' && can(ctx.me, 'publish');
  const cancel = (['ASSEMBLY_STATE_DRAFT', 'ASSEMBLY_STATE_PUBLISHED'].includes(a.state) && can(ctx.me, 'cancel')) || (open && can(ctx.me, 'close'));
  const close = open && can(ctx.me, 'close');
  if (!publish && !cancel && !close) return h('div', {});
  const dialog = h('dialog', { class: 'dialog' });
  dialog.addEventListener('close', () => replace(dialog));
  const ask = (what) => {
    const ids = { reason: uid('reason') };
    const reason = h('input', { id: ids.reason, maxlength: 200, required: true, 'data-testid': 'end-reason' });
    const [ok, okF] = confirmField('end-confirm');
    formDialog(dialog, {
      title: t(`asm.${what}Title`), intro: h('p', {}, t(`asm.${what}Intro`)),
      fields: [h('label', { for: ids.reason }, t('calls.reason')), reason, okF],
      submit: t(`asm.${what}`), testid: 'end-save',
      check: () => {
        const r = reasonOf(reason);
        return typeof r === 'string' || ok.checked ? r : t('asm.confirmMissing');
      },
      send: (body) => post(asmPath(ctx.cid, ctx.aid, ':' + what), body),
      // The page's header and figures follow at its next poll.
      done: () => replace(done, h('p', { class: 'alert ok', role: 'status' }, t(`asm.${what}Done`))),
    });
    reason.focus();
  };
  // publishDraft says what publication freezes and the notice it leaves,
  // with the roll as it stands now.
  const publishDraft = async (button) => {
    button.disabled = true;
    let c;
    try {
      c = await get('/communities/' + seg(ctx.cid));
    } catch (err) {
      replace(done, errorBox(err));
      return;
    } finally {
      button.disabled = false;
    }
    // (The user may have left the page meanwhile.)
    if (!dialog.isConnected) return;
    const f = c.figures || {};
    const opens = new Date(a.opens_at);
    // An opening passed, or a notice too short without a reason: the
    // server refuses; the dialog says why first.
    const passed = opens.getTime() <= serverNow().getTime();
    const short = !passed && opens.getTime() - serverNow().getTime() < MIN_NOTICE_MS;
    const refused = short && (!a.short_notice_reason || (a.settings || {}).refuse_short_notice);
    const [ok, okF] = confirmField('publish-confirm');
    formDialog(dialog, {
      title: t('asm.publishTitle'),
      intro: [
        h('p', {}, t('asm.publishIntro', { u: fmtInt(f.unit_count || 0), a: fmtArea(f.total_area_m2 || '0'), n: fmtInt(f.total_head || 0) })),
        passed ? h('p', { class: 'alert error', 'data-testid': 'publish-passed' }, t('asm.publishPassed'))
          : h('p', { class: short ? 'warn' : '', 'data-testid': 'publish-notice' }, t('asm.publishNotice', { n: noticeText(opens) }),
            short && !refused ? [' ', t('agenda.shortReason', { r: a.short_notice_reason })] : null),
        refused ? h('p', { class: 'alert error', 'data-testid': 'publish-short' }, t('asm.publishShort')) : null,
      ],
      fields: [okF],
      submit: t('asm.publish'), testid: 'publish-save',
      check: () => (ok.checked ? {} : t('asm.confirmMissing')),
      send: (body) => post(asmPath(ctx.cid, ctx.aid, ':publish'), body),
      // The page's header, agenda and figures follow at its next poll.
      done: () => {
        const said = h('p', { class: 'alert ok', role: 'status', tabindex: '-1', 'data-testid': 'published' }, t('asm.publishDone'));
        replace(done, said);
        said.focus();
      },
    });
    ok.focus();
  };
  return h('div', { class: 'actions asm-end' },
    publish ? h('button', { type: 'button', class: 'primary', 'data-testid': 'publish', onclick: (ev) => publishDraft(ev.currentTarget) }, t('asm.publish')) : null,
    close ? h('button', { type: 'button', 'data-testid': 'close-early', onclick: () => ask('close') }, t('asm.close')) : null,
    cancel ? h('button', { type: 'button', 'data-testid': 'cancel-assembly', onclick: () => ask('cancel') }, t('asm.cancel')) : null,
    dialog);
}

function choiceLabel(a, motionId, choice) {
  if (['AGREE', 'OPPOSE', 'ABSTAIN', 'INVALID'].includes(choice)) return t('choice.' + choice);
  const m = (a.motions || []).find((x) => x.motion_id === motionId);
  const o = m && (m.options || []).find((x) => x.option_id === choice);
  return t('choice.option', { name: (o && o.name) || choice });
}

function progressView(a, p) {
  // A draft has no frozen roll yet: no figures to show against lines.
  if (p.state === 'ASSEMBLY_STATE_DRAFT') return [h('p', { class: 'alert', 'data-testid': 'dash-draft' }, t('dash.draft'))];
  const counters = h('dl', { class: 'counters' },
    [['counted', p.counted], ['pending', p.pending], ['refused', p.refused], ['superseded', p.superseded]].map(([k, v]) =>
      h('div', { 'data-counter': k }, h('dt', {}, t('dash.' + k)), h('dd', {}, fmtInt(v)))));
  const notOpen = p.state === 'ASSEMBLY_STATE_PUBLISHED' ? h('p', { class: 'alert' }, t('dash.notOpen')) : null;
  return [notOpen, counters,
    (p.motions || []).map((m) => motionCard(a, m)),
    h('div', { class: 'grid2' }, turnoutCard(p), channelCard(p))];
}

function motionCard(a, m) {
  const id = m.motion_id;
  const bars = [
    bar({ key: `${id}-quorum-area`, label: t('bar.partArea'), axis: 'area', value: m.participating.area_m2, line: m.quorum.required.area_m2, total: m.total.area_m2 }),
    bar({ key: `${id}-quorum-head`, label: t('bar.partHead'), axis: 'head', value: m.participating.head, line: m.quorum.required.head, total: m.total.head }),
  ];
  const needs = [h('p', { class: 'need', 'data-need': `${id}-quorum` }, quorumNeed(m.quorum))];
  for (const c of m.choices || []) {
    if (!c.approval) continue;
    const label = choiceLabel(a, id, c.choice);
    bars.push(
      bar({ key: `${id}-${c.choice}-area`, label: t('bar.agreeArea', { c: label }), axis: 'area', value: c.figures.area_m2, line: c.approval.required.area_m2, total: m.total.area_m2, kind: 'agree' }),
      bar({ key: `${id}-${c.choice}-head`, label: t('bar.agreeHead', { c: label }), axis: 'head', value: c.figures.head, line: c.approval.required.head, total: m.total.head, kind: 'agree' }));
    needs.push(h('p', { class: 'need', 'data-need': `${id}-${c.choice}` }, approvalNeed(c.approval, label)));
  }
  const others = (m.choices || []).filter((c) => !c.approval).map((c) =>
    `${choiceLabel(a, id, c.choice)} ${fmtArea(c.figures.area_m2)} m² / ${fmtInt(c.figures.head)}`);
  others.push(`${t('choice.ABSTAIN')} ${fmtArea(m.abstain.area_m2)} m² / ${fmtInt(m.abstain.head)}`);
  return h('section', { class: 'card motion', 'data-motion': id },
    h('h2', {}, m.title || id),
    h('p', { class: 'muted small' }, t('dash.requirement', { r: bilingual(m.requirement) })),
    h('div', { class: 'needs' }, needs),
    h('div', { class: 'bars' }, bars),
    h('p', { class: 'muted small' }, others.join(' · ')));
}

function quorumNeed(q) {
  const a = hundredths(q.remaining.area_m2);
  const hd = BigInt(q.remaining.head || 0);
  let text;
  if (a > 0n && hd > 0n) text = t('need.quorum', { h: fmtInt(hd), a: fmtArea(a) });
  else if (a > 0n) text = t('need.areaOnly', { a: fmtArea(a) });
  else if (hd > 0n) text = t('need.headOnly', { h: fmtInt(hd) });
  else return h('span', { class: 'ok' }, '✓ ', t('need.quorumMet'));
  return [h('span', { class: 'short' }, text), q.reachable ? null : h('span', { class: 'warn' }, ' — ', t('need.unreachable'))];
}

function approvalNeed(l, label) {
  const a = hundredths(l.remaining.area_m2);
  const hd = BigInt(l.remaining.head || 0);
  if (a === 0n && hd === 0n) return h('span', { class: 'ok' }, '✓ ', t('need.approvalMet', { c: label }));
  return [h('span', { class: 'short' }, t('need.approval', { h: fmtInt(hd), a: fmtArea(a), c: label })),
    l.reachable ? null : h('span', { class: 'warn' }, ' — ', t('need.unreachable'))];
}

// bar draws one figure against its line: the fill is the figure, the mark
// the line, the width the whole roll. The exact figures are in the text and
// in the progressbar's aria values.
function bar({ key, label, axis, value, line, total, kind = 'part' }) {
  const num = (v) => (axis === 'area' ? Number(hundredths(v)) : Number(v || 0));
  const fmt = (v) => (axis === 'area' ? `${fmtArea(v)} m²` : fmtInt(v));
  const reached = num(value) >= num(line);
  const fill = h('div', { class: 'fill' });
  fill.style.width = (share(num(value), num(total)) * 100).toFixed(3) + '%';
  const mark = h('div', { class: 'mark', title: fmt(line) });
  mark.style.left = (share(num(line), num(total)) * 100).toFixed(3) + '%';
  // An approval line that is met moves with the participants, so it is
  // shown as met rather than as a line.
  const text = reached && kind === 'agree' ? t('bar.over', { v: fmt(value), total: fmt(total) })
    : t('bar.value', { v: fmt(value), line: fmt(line), total: fmt(total) });
  if (reached && kind === 'agree') mark.hidden = true;
  return h('div', { class: `bar-row ${kind}${reached ? ' reached' : ''}` },
    h('div', { class: 'bar-label' }, h('span', {}, label), h('span', { class: 'bar-text' }, text, reached ? ` ✓ ${t('bar.reached')}` : '')),
    h('div', {
      class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0',
      'aria-valuemax': axis === 'area' ? String(total) : String(total || 0), 'aria-valuenow': axis === 'area' ? String(value) : String(value || 0),
      'aria-valuetext': text, 'data-bar': key,
    }, fill, mark));
}

const HOUR = 3600 * 1000;

function turnoutCard(p) {
  const hours = (p.by_hour || []).map((x) => ({ at: Date.parse(x.hour), n: Number(x.ballots) })).filter((x) => !Number.isNaN(x.at));
  const card = h('section', { class: 'card' }, h('h2', {}, t('dash.turnout')));
  if (hours.length === 0) {
    card.append(h('p', { class: 'muted' }, t('dash.turnoutNone')));
    return card;
  }
  const first = hours[0].at;
  const last = hours[hours.length - 1].at;
  const n = Math.min(24 * 31, Math.round((last - first) / HOUR) + 1);
  const counts = new Array(n).fill(0);
  for (const x of hours) {
    const i = Math.round((x.at - first) / HOUR);
    if (i >= 0 && i < n) counts[i] += x.n;
  }
  const max = Math.max(...counts, 1);
  const total = counts.reduce((s, x) => s + x, 0);
  const W = 600;
  const H = 150;
  const pad = { l: 30, r: 8, t: 10, b: 24 };
  const bw = (W - pad.l - pad.r) / Math.max(n, 1);
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': t('dash.turnoutAlt', { n: total, max }), 'data-testid': 'turnout' },
    h('svg:line', { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: 'axis' }),
    h('svg:text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end', class: 'tick' }, String(max)),
    h('svg:text', { x: pad.l - 4, y: H - pad.b, 'text-anchor': 'end', class: 'tick' }, '0'),
    counts.map((v, i) => h('svg:rect', {
      x: (pad.l + i * bw + bw * 0.1).toFixed(2), y: y(v).toFixed(2), width: Math.max(bw * 0.8, 1).toFixed(2), height: (H - pad.b - y(v)).toFixed(2), class: 'col',
    }, h('svg:title', {}, `${fmtTime(new Date(first + i * HOUR), { month: 'numeric', day: 'numeric', hour: 'numeric' })}: ${v}`))));
  // Date labels at the first hour and at each Beijing midnight.
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i < n; i += labelEvery) {
    svg.append(h('svg:text', { x: (pad.l + i * bw + bw / 2).toFixed(2), y: H - 8, 'text-anchor': 'middle', class: 'tick' },
      fmtTime(new Date(first + i * HOUR), { month: 'numeric', day: 'numeric', hour: 'numeric' })));
  }
  card.append(svg);
  return card;
}

function channelCard(p) {
  const list = p.by_channel || [];
  const max = Math.max(1, ...list.map((c) => Number(c.ballots)));
  return h('section', { class: 'card' }, h('h2', {}, t('dash.channels')),
    list.length === 0 ? h('p', { class: 'muted' }, t('dash.turnoutNone')) : h('ul', { class: 'channels', 'data-testid': 'channels' }, list.map((c) => {
      const name = String(c.channel).replace('CHANNEL_', '');
      const fill = h('span', { class: 'cfill' });
      fill.style.width = (share(Number(c.ballots), max) * 100).toFixed(1) + '%';
      return h('li', { 'data-channel': name }, h('span', { class: 'cname' }, t('channel.' + name)), h('span', { class: 'cbar' }, fill),
        h('span', { class: 'cnum' }, fmtInt(c.ballots)));
    })));
}
