// An assembly's agenda and rules: the form that creates one (新建表决,
// for staff: it is saved as a draft, which is published from its
// dashboard), and the card that shows what an assembly decides and how
// (its motions, the majorities they need, channels, settings and the
// committee that certifies the result).

import { get, post, seg, serverNow } from './api.js';
import { alertBox, cleanText, DAY_MS, field, fmtTime, fromLocalInput, h, loading, localInputValue, problemsBox, replace, uid } from './dom.js';
import { lang, t } from './i18n.js';

// The matters a motion may decide (the API's Matter, without its prefix).
const MATTERS = ['SELECT_PROPERTY_FIRM', 'RENEW_PROPERTY_FIRM', 'DISMISS_PROPERTY_FIRM', 'ELECT_COMMITTEE', 'ASSEMBLY_RULES',
  'OWNERS_COVENANT', 'USE_MAINTENANCE_FUND', 'RAISE_MAINTENANCE_FUND', 'REBUILD_OR_RENOVATE', 'CHANGE_COMMON_USE', 'OTHER_MAJOR'];
const CHANNELS = ['PLATFORM', 'ONLINE', 'PHONE', 'VISIT', 'PAPER', 'PROXY'];
// What a street office usually offers: the city platform, staff on the
// phone and at the door, and paper sheets.
const DEFAULT_CHANNELS = ['PLATFORM', 'PHONE', 'VISIT', 'PAPER'];
const ABSTENTIONS = ['PARTICIPATES', 'EXCLUDED_FROM_DENOMINATOR', 'NOT_PARTICIPATING'];
// The rule sets offered here, and the key of each one's texts; a custom
// rule set is made through the API.
const RULE_SETS = { 'civil-code-2021': 'civil', 'property-law-2007': 'property', custom: 'custom' };
const BUILT_IN = ['civil-code-2021', 'property-law-2007'];
// The shortest notice without a recorded reason (DESIGN §2): 15 days from
// publication to the opening.
export const MIN_NOTICE_MS = 15 * DAY_MS;

// committeeKeys are the signers who may certify a result of community cid:
// active COMMITTEE keys of it.
function committeeKeys(signers, cid) {
  return signers.filter((s) => s.kind === 'COMMITTEE' && !s.pending && !s.revoke_time && (!s.community_id || s.community_id === cid));
}

// noticeText is the notice, in whole days and hours, if the assembly were
// published now and opened at opens.
export function noticeText(opens) {
  const ms = opens.getTime() - serverNow().getTime();
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / 3600000);
  return t('notice.span', { d: days, h: hours });
}

export async function newAssemblyPage(ctx) {
  replace(ctx.main, loading());
  // ?from= an assembly of the community: its definition fills the form
  // (a draft to mend, which is not edited, or last year's agenda).
  const from = ctx.query.get('from');
  const [c, sr, src] = await Promise.all([get('/communities/' + seg(ctx.cid)), get('/signers?community_id=' + seg(ctx.cid)),
    from ? get(`/communities/${seg(ctx.cid)}/assemblies/${seg(from)}`) : null]);
  if (!ctx.current()) return;
  const keys = committeeKeys(sr.signers || [], ctx.cid);

  const [title, titleF] = field(t('new.title'), { maxlength: 200, required: true, autocomplete: 'off', 'data-testid': 'new-title' }, t('new.titleHint'));
  const [aid, aidF] = field(t('new.id'), { maxlength: 64, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'data-testid': 'new-id' }, t('new.idHint'));

  // The convener: the owners' committee where the community has one, else
  // the residents' committee acting for it. An empty name is the
  // community's own (as the server fills it in).
  const kindId = uid('kind');
  const kind = h('select', { id: kindId, 'data-testid': 'new-convener-kind' },
    ['OWNERS_COMMITTEE', 'RESIDENTS_COMMITTEE'].map((k) => h('option', { value: k, selected: (k === 'OWNERS_COMMITTEE') === Boolean(c.has_owners_committee) }, t('convener.' + k))));
  const [convener, convenerF] = field(t('new.convenerName'), { maxlength: 100, autocomplete: 'off', 'data-testid': 'new-convener-name' }, t('new.convenerHint'));
  const defaultName = () => (kind.value === 'OWNERS_COMMITTEE' ? (c.name || c.community_id) + '业主委员会' : c.residents_committee || '');
  const namePlaceholder = () => { convener.placeholder = defaultName(); };
  kind.addEventListener('change', namePlaceholder);
  namePlaceholder();

  // The window, in Beijing time, and the notice it leaves if published now.
  const [opens, opensF] = field(t('new.opens'), { type: 'datetime-local', required: true, 'data-testid': 'new-opens' });
  const [closes, closesF] = field(t('new.closes'), { type: 'datetime-local', required: true, 'data-testid': 'new-closes' });
  const notice = h('p', { class: 'small', 'data-testid': 'new-notice' });
  const [reason, reasonF] = field(t('new.shortReason'), { maxlength: 500, autocomplete: 'off', 'data-testid': 'new-short-reason' }, t('new.shortReasonHint'));
  const reasonBox = h('div', { hidden: true }, reasonF);

  // Rules and settings.
  const rulesId = uid('rules');
  const ruleSet = h('select', { id: rulesId, 'data-testid': 'new-rules' }, BUILT_IN.map((r) => h('option', { value: r }, t('rules.' + RULE_SETS[r]))));
  const ruleHint = h('p', { class: 'muted small' });
  // A custom rule set (made through the API) is offered only as the one of
  // an assembly copied, whole: its fractions are shown, not edited here.
  let custom = null;
  const showRule = () => replace(ruleHint, ruleSet.value === 'custom' && custom ? customText(custom) : t('rules.' + RULE_SETS[ruleSet.value] + 'Summary'));
  ruleSet.addEventListener('change', showRule);
  showRule();
  const check = (name, testid, checked = false) => {
    const id = uid('chk');
    const box = h('input', { id, type: 'checkbox', checked, 'data-testid': testid, 'aria-describedby': id + '-hint' });
    return [box, h('div', { class: 'radio' }, box, h('label', { for: id }, t(name)), h('span', { class: 'muted small', id: id + '-hint' }, ' ', t(name + 'Hint')))];
  };
  const channelBoxes = CHANNELS.map((ch) => {
    const id = uid('ch');
    const box = h('input', { id, type: 'checkbox', value: ch, checked: DEFAULT_CHANNELS.includes(ch), 'data-channel': ch });
    return [box, h('div', { class: 'radio' }, box, h('label', { for: id }, t('channel.' + ch)))];
  });
  const abstId = uid('abst');
  const abstention = h('select', { id: abstId, 'data-testid': 'new-abstention' }, ABSTENTIONS.map((x) => h('option', { value: x }, t('abstention.' + x))));
  const [makerChecker, makerCheckerF] = check('new.makerChecker', 'new-maker-checker', true);
  const [revote, revoteF] = check('new.revote', 'new-revote');
  const [invalidQuorum, invalidQuorumF] = check('new.invalidQuorum', 'new-invalid-quorum');
  const [deemed, deemedF] = check('new.deemed', 'new-deemed');
  const [refuseShort, refuseShortF] = check('new.refuseShort', 'new-refuse-short');
  const [proxyCap, proxyCapF] = field(t('new.proxyCap'), { type: 'number', min: 0, max: 1000, step: 1, value: '0', 'data-testid': 'new-proxy-cap' }, t('new.proxyCapHint'));
  const [objection, objectionF] = field(t('new.objectionDays'), { type: 'number', min: 1, max: 30, step: 1, value: '3', 'data-testid': 'new-objection-days' }, t('new.objectionHint'));

  // The notice runs from publication, so the reason may be given ahead,
  // for a draft published late; it is required when the notice would be
  // short today, and has no place where the assembly admits no short
  // notice.
  const noticeShown = () => {
    const o = fromLocalInput(opens.value);
    const short = o !== null && o.getTime() - serverNow().getTime() < MIN_NOTICE_MS;
    reasonBox.hidden = refuseShort.checked;
    reason.required = short && !refuseShort.checked;
    if (o === null) {
      replace(notice, t('new.noticeRule', { t: fmtTime(new Date(serverNow().getTime() + MIN_NOTICE_MS)) }));
      notice.className = 'small muted';
    } else if (o.getTime() <= serverNow().getTime()) {
      replace(notice, t('new.opensPast'));
      notice.className = 'small warn';
    } else {
      const by = fmtTime(new Date(o.getTime() - MIN_NOTICE_MS));
      replace(notice, t(short ? (refuseShort.checked ? 'new.noticeRefused' : 'new.noticeShort') : refuseShort.checked ? 'new.noticeOkStrict' : 'new.noticeOk', { n: noticeText(o), t: by }));
      notice.className = short ? 'small warn' : 'small muted';
    }
  };
  opens.setAttribute('aria-describedby', notice.id = uid('notice'));
  opens.addEventListener('input', noticeShown);
  refuseShort.addEventListener('change', noticeShown);
  noticeShown();

  // The motions, one card each, added and removed here; their ids are
  // given by their order (m1, m2, …) and their candidates' by theirs.
  const motions = [];
  const list = h('ol', { class: 'motion-edit', 'data-testid': 'new-motions' });
  const addMotion = (from) => {
    const [mt, mtF] = field(t('new.motionTitle'), { maxlength: 500, autocomplete: 'off', 'data-testid': 'motion-title' }, t('new.motionTitleHint'));
    const matterId = uid('matter');
    const matter = h('select', { id: matterId, 'data-testid': 'motion-matter' }, MATTERS.map((m) => h('option', { value: m }, t('matter.' + m))));
    const [choose, chooseF] = check('new.choose', 'motion-choose');
    const [seats, seatsF] = field(t('new.seats'), { type: 'number', min: 1, max: 50, step: 1, 'data-testid': 'motion-seats' });
    const candId = uid('cand');
    const candidates = h('textarea', { id: candId, rows: 4, maxlength: 5000, 'data-testid': 'motion-candidates', 'aria-describedby': candId + '-hint' });
    const seatsBox = h('div', {}, seatsF);
    const candBox = h('div', {}, h('label', { for: candId }, t('new.candidates')), candidates, h('p', { class: 'muted small', id: candId + '-hint' }, t('new.candidatesHint')));
    const chooseBox = h('div', {}, chooseF);
    const shape = () => {
      const elect = matter.value === 'ELECT_COMMITTEE';
      seatsBox.hidden = !elect;
      chooseBox.hidden = elect;
      candBox.hidden = !elect && !choose.checked;
    };
    if (from) {
      mt.value = from.title || '';
      matter.value = String(from.matter || '').replace('MATTER_', '') || MATTERS[0];
      const names = (from.options || []).map((o) => o.name);
      candidates.value = names.join('\n');
      choose.checked = names.length > 0 && !from.seats;
      if (from.seats) seats.value = String(from.seats);
    }
    matter.addEventListener('change', shape);
    choose.addEventListener('change', shape);
    shape();
    const item = {};
    const remove = h('button', { type: 'button', class: 'link', 'data-testid': 'motion-remove', onclick: () => {
      const at = motions.indexOf(item);
      motions.splice(at, 1);
      li.remove();
      renumber();
      // Focus goes to the motion that took its place, or the one before.
      motions[Math.min(at, motions.length - 1)].title.focus();
    } }, t('new.removeMotion'));
    const legend = h('legend', {});
    const li = h('li', { 'data-testid': 'motion' }, h('fieldset', {}, legend, mtF, h('label', { for: matterId }, t('new.matter')), matter, chooseBox, seatsBox, candBox, remove));
    // read gives the motion as the API takes it (number i, from 1), or
    // what is wrong with it.
    item.read = (i) => {
      const text = cleanText(mt.value);
      if (!text) return t('new.needMotionTitle', { i });
      const elect = matter.value === 'ELECT_COMMITTEE';
      const names = elect || choose.checked ? candidates.value.split('\n').map(cleanText).filter(Boolean) : [];
      const twice = names.find((n, j) => names.indexOf(n) !== j);
      if (twice) return t('new.candidateTwice', { i, name: twice });
      const m = { motion_id: 'm' + i, title: text, matter: 'MATTER_' + matter.value, options: names.map((name, j) => ({ option_id: 'c' + (j + 1), name })) };
      if (elect) {
        const n = Number(seats.value);
        if (!Number.isInteger(n) || n < 1) return t('new.needSeats', { i });
        if (names.length < n) return t('new.fewCandidates', { i, s: n, n: names.length });
        m.seats = n;
      } else if (choose.checked && names.length < 2) {
        return t('new.needTwo', { i });
      }
      return m;
    };
    item.title = mt;
    item.legend = legend;
    item.remove = remove;
    motions.push(item);
    list.append(li);
    renumber();
  };
  const renumber = () => motions.forEach((m, i) => {
    replace(m.legend, t('new.motionN', { i: i + 1 }));
    m.remove.hidden = motions.length === 1;
    m.remove.setAttribute('aria-label', `${t('new.removeMotion')} · ${t('new.motionN', { i: i + 1 })}`);
  });
  for (const m of (src && src.motions && src.motions.length ? src.motions : [null])) addMotion(m);
  const more = h('button', { type: 'button', 'data-testid': 'motion-add', onclick: () => {
    addMotion();
    motions[motions.length - 1].title.focus();
  } }, t('new.addMotion'));

  // The committee that certifies the result: k of the members chosen.
  const memberBoxes = keys.map((s) => {
    const id = uid('m');
    const box = h('input', { id, type: 'checkbox', value: s.key_id, 'data-member': s.key_id });
    return [box, h('div', { class: 'radio' }, box, h('label', { for: id }, `${s.name} (${s.signer_id})`), h('span', { class: 'muted small mono' }, ' ', s.key_id.slice(0, 12) + '…'))];
  });
  const [k, kF] = field(t('new.k'), { type: 'number', min: 1, step: 1, 'data-testid': 'new-k' }, t('new.kHint'));
  let kTyped = false;
  k.addEventListener('input', () => { kTyped = true; });
  // Until k is typed, it follows the members chosen: a majority of them.
  for (const [box] of memberBoxes) {
    box.addEventListener('change', () => {
      const n = memberBoxes.filter(([b]) => b.checked).length;
      k.max = String(Math.max(n, 1));
      if (!kTyped) k.value = n ? String(Math.floor(n / 2) + 1) : '';
    });
  }

  if (src) fillFrom(src);

  const msg = h('div', { 'aria-live': 'polite', 'data-testid': 'new-msg' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'new-save' }, t('new.save'));
  const fail = (text) => {
    replace(msg, alertBox(text));
    msg.scrollIntoView({ block: 'nearest' });
  };

  // read gives the request's body, or what is wrong with the form.
  const read = () => {
    // (What is published - the title, the motions, the candidates, the
    // reason - may name a tender or a contract by its number, but no
    // person's phone or identity number: the server tells which.)
    const name = cleanText(title.value);
    if (!name) return t('new.needTitle');
    const id = aid.value.trim();
    if (id && !/^[A-Za-z0-9._:-]{1,64}$/.test(id)) return t('new.badId');
    const o = fromLocalInput(opens.value);
    const e = fromLocalInput(closes.value);
    if (!o || !e) return t('new.needWindow');
    if (o.getTime() <= serverNow().getTime()) return t('new.opensPast');
    if (e.getTime() <= o.getTime()) return t('new.closesBeforeOpens');
    const short = o.getTime() - serverNow().getTime() < MIN_NOTICE_MS;
    if (short && refuseShort.checked) return t('new.noticeRefused', { n: noticeText(o) });
    const why = refuseShort.checked ? '' : cleanText(reason.value);
    if (short && !why) return t('new.needShortReason');
    const channels = channelBoxes.filter(([b]) => b.checked).map(([b]) => 'CHANNEL_' + b.value);
    if (!channels.length) return t('new.needChannel');
    const ms = [];
    for (const [i, m] of motions.entries()) {
      const r = m.read(i + 1);
      if (typeof r === 'string') return r;
      ms.push(r);
    }
    const members = memberBoxes.filter(([b]) => b.checked).map(([b]) => b.value);
    if (!members.length) return t(keys.length ? 'new.needMembers' : 'new.noMembers');
    // k of n counts people: one key of each member.
    const people = members.map((id) => keys.find((x) => x.key_id === id).signer_id);
    const twice = people.find((p, i) => people.indexOf(p) !== i);
    if (twice) return t('new.memberTwice', { id: twice });
    const kn = Number(k.value);
    if (!Number.isInteger(kn) || kn < 1 || kn > members.length) return t('new.badK', { n: members.length });
    // (What the browser cannot read as a number is no "no cap".)
    const cap = proxyCap.validity.badInput ? NaN : Number(proxyCap.value || 0);
    if (!Number.isInteger(cap) || cap < 0) return t('new.badCap');
    const days = Number(objection.value);
    if (!Number.isInteger(days) || days < 1 || days > 30) return t('new.badObjectionDays');
    return {
      assembly_id: id, title: name, motions: ms, opens_at: o.toISOString(), closes_at: e.toISOString(), channels,
      rule_set: ruleSet.value === 'custom' ? custom : { name: ruleSet.value },
      settings: {
        abstention: 'ABSTENTION_' + abstention.value, invalid_counts_toward_quorum: invalidQuorum.checked, deemed_consent: deemed.checked,
        allow_revote: revote.checked, maker_checker: makerChecker.checked, proxy_cap: cap, refuse_short_notice: refuseShort.checked,
      },
      convener: { kind: kind.value, name: cleanText(convener.value) },
      committee: { member_key_ids: members, k: kn },
      short_notice_reason: why, objection_days: days,
    };
  };

  const form = h('form', {
    class: 'new-assembly', novalidate: true, 'data-testid': 'new-assembly',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const body = read();
      if (typeof body === 'string') {
        fail(body);
        return;
      }
      save.disabled = true;
      replace(msg);
      try {
        const a = await post(`/communities/${seg(ctx.cid)}/assemblies`, body);
        // (In place of the form: Back does not bring the form back.)
        if (ctx.current()) location.replace(`#/c/${seg(ctx.cid)}/a/${seg(a.assembly_id)}?created=1`);
      } catch (err) {
        save.disabled = false;
        replace(msg, problemsBox(err));
        msg.scrollIntoView({ block: 'nearest' });
      }
    },
  },
  h('section', { class: 'card' }, h('h2', {}, t('new.basics')), titleF, aidF,
    h('label', { for: kindId }, t('new.convener')), kind, convenerF),
  h('section', { class: 'card' }, h('h2', {}, t('new.window')), h('p', { class: 'muted small' }, t('new.windowHint')), opensF, closesF, notice, reasonBox),
  h('section', { class: 'card' }, h('h2', {}, t('new.motions')), h('p', { class: 'muted small' }, t('new.motionsHint')), list, more),
  h('section', { class: 'card' }, h('h2', {}, t('new.channels')), h('fieldset', { 'data-testid': 'new-channels' }, h('legend', {}, t('new.channelsLegend')), channelBoxes.map(([, n]) => n))),
  h('section', { class: 'card' }, h('h2', {}, t('new.rules')),
    h('label', { for: rulesId }, t('new.ruleSet')), ruleSet, ruleHint,
    h('label', { for: abstId }, t('new.abstention')), abstention,
    makerCheckerF, revoteF, invalidQuorumF, deemedF, refuseShortF, proxyCapF, objectionF),
  h('section', { class: 'card' }, h('h2', {}, t('new.committee')),
    keys.length ? h('fieldset', { 'data-testid': 'new-members' }, h('legend', {}, t('new.membersLegend')), memberBoxes.map(([, n]) => n))
      : h('p', { class: 'alert', 'data-testid': 'new-no-members' }, t('new.noMembers'), ' ', h('a', { href: '#/keys' }, t('nav.keys'))),
    kF),
  msg,
  h('div', { class: 'actions' }, save, h('a', { class: 'button', href: '#/c/' + seg(ctx.cid) }, t('calls.cancel'))));

  replace(ctx.main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/c/' + seg(ctx.cid) }, c.name || ctx.cid), ' / ', t('new.crumb')),
    h('h1', {}, t('new.heading')),
    h('p', { class: 'muted' }, t('new.intro')),
    src ? h('p', { class: 'alert', 'data-testid': 'new-from' }, t('new.from', { a: src.title || src.assembly_id, id: src.assembly_id })) : null,
    form);
  title.focus();

  // fillFrom fills the form with assembly a's definition: everything but
  // its id and a window that has passed; committee keys no longer in force
  // are left out (their members choose again), and k follows.
  function fillFrom(a) {
    title.value = a.title || '';
    const conv = a.convener || {};
    if (conv.kind) kind.value = conv.kind;
    namePlaceholder();
    if (conv.name && conv.name !== defaultName()) convener.value = conv.name;
    const now = serverNow().getTime();
    if (a.opens_at && new Date(a.opens_at).getTime() > now) {
      opens.value = localInputValue(new Date(a.opens_at));
      closes.value = localInputValue(new Date(a.closes_at));
    }
    reason.value = a.short_notice_reason || '';
    for (const [box] of channelBoxes) box.checked = (a.channels || []).includes('CHANNEL_' + box.value);
    const rs = (a.rule_set || {}).name;
    if (BUILT_IN.includes(rs)) ruleSet.value = rs;
    if (rs === 'custom') {
      custom = a.rule_set;
      ruleSet.append(h('option', { value: 'custom' }, t('rules.custom')));
      ruleSet.value = 'custom';
    }
    showRule();
    const st = a.settings || {};
    const ab = String(st.abstention || '').replace('ABSTENTION_', '');
    if (ABSTENTIONS.includes(ab)) abstention.value = ab;
    makerChecker.checked = Boolean(st.maker_checker);
    revote.checked = Boolean(st.allow_revote);
    invalidQuorum.checked = Boolean(st.invalid_counts_toward_quorum);
    deemed.checked = Boolean(st.deemed_consent);
    refuseShort.checked = Boolean(st.refuse_short_notice);
    proxyCap.value = String(st.proxy_cap || 0);
    objection.value = String(a.objection_days || 3);
    const members = (a.committee || {}).member_key_ids || [];
    for (const [box] of memberBoxes) {
      box.checked = members.includes(box.value);
      box.dispatchEvent(new Event('change'));
    }
    const kept = memberBoxes.filter(([b]) => b.checked).length;
    if (kept === members.length && a.committee && a.committee.k) {
      k.value = String(a.committee.k);
      kTyped = true;
    }
    noticeShown();
  }
}

// CN are the numerals a fraction is written with in Chinese.
const CN = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

// fracText writes a threshold as the law does: 过半数, 三分之二以上, 超过
// 三分之二 (more than half, at least 2/3, more than 2/3).
function fracText(f) {
  const n = Number((f && f.numerator) || 0);
  const d = Number((f && f.denominator) || 0);
  if (f && f.strict && n * 2 === d) return t('frac.half');
  const cn = (x) => (x >= 0 && x <= 10 ? CN[x] : String(x));
  const x = lang() === 'zh' ? `${cn(d)}分之${cn(n)}` : `${n}/${d}`;
  return t(f && f.strict ? 'frac.more' : 'frac.atLeast', { x });
}

// agreementText is the agreement requirement r asks.
function agreementText(r) {
  return t(r && r.of_all_owners ? 'rule.needAll' : 'rule.needPart', { f: fracText((r || {}).fraction) });
}

// customText says what a custom rule set requires.
function customText(rs) {
  return [t('rule.quorum', { f: fracText(rs.quorum) }), t('agenda.ordinary') + t('punct.colon') + agreementText(rs.ordinary),
    t('agenda.special') + t('punct.colon') + agreementText(rs.special)].join('；');
}

// requirementText is the agreement a motion of matter needs under rule set
// rs.
function requirementText(rs, matter) {
  const special = (rs.special_matters || []).includes(matter);
  return [t(special ? 'agenda.special' : 'agenda.ordinary'), ' · ', agreementText(special ? rs.special : rs.ordinary)];
}

// agendaCard shows what assembly a decides and by which rules: open
// unfolded (a draft, before it is published), folded otherwise. signers
// name the committee's keys; copy, if given, is where the form that copies
// it into a new draft is.
export function agendaCard(a, signers, open, copy) {
  const rs = a.rule_set || {};
  const s = a.settings || {};
  const com = a.committee || {};
  const members = com.member_key_ids || [];
  const nameOf = (id) => {
    const x = signers.find((y) => y.key_id === id);
    return x ? `${x.name} (${x.signer_id})` : id;
  };
  const abst = String(s.abstention || 'ABSTENTION_PARTICIPATES').replace('ABSTENTION_', '');
  const settings = [
    t('abstention.' + abst),
    s.maker_checker ? t('new.makerChecker') : null,
    s.allow_revote ? t('new.revote') : null,
    s.invalid_counts_toward_quorum ? t('new.invalidQuorum') : null,
    s.deemed_consent ? t('new.deemed') : null,
    s.refuse_short_notice ? t('new.refuseShort') : null,
    s.proxy_cap ? t('agenda.proxyCap', { n: s.proxy_cap }) : null,
    t('agenda.objectionDays', { n: a.objection_days || 0 }),
  ].filter(Boolean);
  const row = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  const published = a.publish_time && new Date(a.publish_time).getTime() > 0;
  return h('details', { class: 'card agenda', open, 'data-testid': 'agenda' },
    h('summary', {}, h('strong', {}, t('agenda.title'))),
    h('dl', { class: 'agenda-facts' },
      row(t('new.convener'), `${t('convener.' + (a.convener || {}).kind)} · ${(a.convener || {}).name || ''}`),
      row(t('new.window'), t('agenda.window', { from: fmtTime(a.opens_at), to: fmtTime(a.closes_at) })),
      row(t('agenda.notice'), published ? t('agenda.published', { t: fmtTime(a.publish_time) }) : t('agenda.unpublished'),
        a.short_notice_reason ? [h('br', {}), t('agenda.shortReason', { r: a.short_notice_reason })] : null),
      row(t('new.channels'), (a.channels || []).map((c) => t('channel.' + String(c).replace('CHANNEL_', ''))).join('、')),
      row(t('new.ruleSet'), RULE_SETS[rs.name] ? t('rules.' + RULE_SETS[rs.name]) : rs.name, h('br', {}), t('rule.quorum', { f: fracText(rs.quorum) })),
      row(t('agenda.settings'), settings.join('；')),
      row(t('new.committee'), t('agenda.kOfN', { k: com.k || 0, n: members.length }), t('punct.colon'), members.map(nameOf).join('、'))),
    h('h3', {}, t('new.motions')),
    h('ol', { class: 'agenda-motions' }, (a.motions || []).map((m) => {
      const matter = String(m.matter).replace('MATTER_', '');
      const options = m.options || [];
      return h('li', { 'data-motion': m.motion_id },
        h('p', {}, h('strong', {}, m.title)),
        h('p', { class: 'small' }, t('matter.' + matter), ' · ', requirementText(rs, m.matter)),
        options.length ? h('p', { class: 'small' }, t(m.seats ? 'agenda.seats' : 'agenda.choose', { s: m.seats || 0, n: options.length }), t('punct.colon'),
          options.map((o) => o.name).join('、')) : h('p', { class: 'small muted' }, t('agenda.agreeOppose')));
    })),
    // The convening notice, public from publication, to print and post.
    published ? h('p', {}, h('a', { href: `/notices/${encodeURIComponent(a.assembly_id)}/agenda`, target: '_blank', rel: 'noopener', 'data-testid': 'agenda-notice' },
      t('agenda.notice.print'), ' ↗')) : null,
    copy ? h('p', {}, h('a', { class: 'button', href: copy, 'data-testid': 'copy-assembly' }, t('agenda.copy')), ' ',
      h('span', { class: 'muted small' }, t('agenda.copyHint'))) : null);
}
