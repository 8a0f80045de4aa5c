// The committee page: the preliminary result with its explanation, the
// objections and their responses, and the certification: each member signs
// the certification statement in this browser with their own enrolled key;
// k of n signatures make the result final.

import { asmPath, get, post, seg, serverNow } from './api.js';
import { fromBase64, longNumber, signEd25519, toBase64 } from './ballot.js';
import { TooLarge, zipParts } from './zip.js';
import { alertBox, bilingual, errorBox, fmtArea, fmtInt, fmtTime, h, loading, replace, uid } from './dom.js';
import { lang, t } from './i18n.js';
import { listKeys, ownedBy, signerStatus } from './keys.js';
import { assemblyHeader, can, loadAssembly } from './shell.js';

const HAS_RESULT = ['ASSEMBLY_STATE_CLOSED', 'ASSEMBLY_STATE_PRELIMINARY', 'ASSEMBLY_STATE_CERTIFIED'];

export async function committeePage(ctx) {
  replace(ctx.main, loading());
  const a = await loadAssembly(ctx.cid, ctx.aid);
  const body = h('div', { 'data-testid': 'committee' });
  replace(ctx.main, assemblyHeader(ctx, a, 'committee'), body);
  if (!HAS_RESULT.includes(a.state)) {
    replace(body, h('p', { class: 'alert' }, t('committee.notClosed')));
    return;
  }
  const [res, signersResp] = await Promise.all([get(asmPath(ctx.cid, ctx.aid, '/result')), get('/signers?community_id=' + seg(ctx.cid))]);
  const signers = signersResp.signers || [];
  const redraw = () => committeePage(ctx);
  replace(body,
    h('h2', {}, t('committee.title')),
    (res.motions || []).map((m) => resultCard(a, m)),
    h('p', { class: 'mono small' }, t('committee.digest', { d: res.result_digest })),
    objectionsCard(ctx, a, res, redraw),
    await certCard(ctx, a, res, signers, redraw),
    can(ctx.me, 'export') ? exportCard(ctx) : null,
    h('p', {}, h('a', { href: '/notices/' + seg(a.assembly_id), target: '_blank', rel: 'noopener', 'data-testid': 'notice-link' }, t('committee.notice'), ' ↗')));
}

// exportCard downloads the assembly's export as a ZIP archive, which anyone
// checks offline with `ownervote verify` against the log key the street
// office publishes.
function exportCard(ctx) {
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'export-msg' });
  // A name every system keeps as it is (an assembly id may hold ':').
  const name = `export-${ctx.aid.replace(/[^A-Za-z0-9._-]/g, '-')}.zip`;
  let url = null;
  const button = h('button', {
    type: 'button', 'data-testid': 'export-download',
    onclick: async () => {
      button.disabled = true;
      replace(out, h('p', { class: 'muted', role: 'status' }, t('export.preparing')));
      try {
        const [exp, keys] = await Promise.all([get(asmPath(ctx.cid, ctx.aid, '/export')), get('/server/keys')]);
        const files = Object.keys(exp.files || {}).sort().map((n) => ({ name: n, bytes: fromBase64(exp.files[n]) }));
        // One archive kept at a time: the last one's memory is given back.
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(new Blob(zipParts(files), { type: 'application/zip' }));
        const link = h('a', { href: url, download: name, 'data-testid': 'export-link' }, name);
        replace(out, h('p', { class: 'alert ok', role: 'status' }, t('export.ready', { n: files.length }), ' ', link),
          h('p', { class: 'small' }, t('export.verify')),
          // (The key holds no character a shell treats specially, and
          // Windows' cmd.exe would keep quotes around it.)
          h('pre', { class: 'mono small', 'data-testid': 'export-command' }, `ownervote verify --log-verifier ${keys.log_verifier_key} ${name}`));
        link.click();
      } catch (err) {
        // (A string longer than the browser holds ends the same way.)
        replace(out, err instanceof TooLarge || err instanceof RangeError ? alertBox(t('export.tooLarge')) : errorBox(err));
      } finally {
        button.disabled = false;
        button.focus(); // (disabled, it had lost the focus)
      }
    },
  }, t('export.download'));
  return h('section', { class: 'card', 'data-testid': 'export' }, h('h3', {}, t('export.title')), h('p', { class: 'muted small' }, t('export.intro')), button, out);
}

function choiceLabel(m, c) {
  if (['AGREE', 'OPPOSE', 'ABSTAIN', 'INVALID'].includes(c)) return t('choice.' + c);
  const o = (m.options || []).find((x) => x.option_id === c);
  return (o && o.name) || c;
}

// decisionLines names who won, was elected or is tied for the last seat.
function decisionLines(motion, d) {
  const names = (ids) => ids.map((c) => choiceLabel(motion, c)).join('、');
  return [
    d.winner ? h('p', {}, t('committee.winner', { w: choiceLabel(motion, d.winner) })) : null,
    (d.elected || []).length ? h('p', { 'data-testid': 'elected' }, t('committee.elected', { w: names(d.elected) })) : null,
    (d.tied || []).length ? h('p', { class: 'warn', 'data-testid': 'tied' }, t('committee.tied', { w: names(d.tied) })) : null,
  ];
}

function resultCard(a, m) {
  const motion = (a.motions || []).find((x) => x.motion_id === m.motion_id) || {};
  const d = m.decision || {};
  const outcome = d.outcome || '';
  const plain = m.without_deemed_consent;
  return h('section', { class: 'card', 'data-result': m.motion_id },
    h('h3', {}, m.title || m.motion_id, ' ', h('span', { class: `badge outcome-${outcome.toLowerCase()}`, 'data-outcome': outcome }, t('committee.outcome.' + outcome))),
    decisionLines(motion, d),
    h('p', { class: 'muted small' }, bilingual(m.requirement)),
    h('p', {}, t('committee.participating', {
      a: fmtArea(m.participating.area_m2), h: fmtInt(m.participating.head), ta: fmtArea(m.total.area_m2), th: fmtInt(m.total.head),
    })),
    h('table', { class: 'tally' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('committee.tally')), h('th', { scope: 'col' }, t('committee.tallyArea')), h('th', { scope: 'col' }, t('committee.tallyHead')))),
      h('tbody', {}, (m.tallies || []).map((x) => h('tr', {}, h('th', { scope: 'row' }, choiceLabel(motion, x.choice)),
        h('td', {}, fmtArea(x.figures.area_m2)), h('td', {}, fmtInt(x.figures.head)))))),
    h('p', { class: 'explanation', 'data-testid': 'explanation' }, lang() === 'zh' ? d.explanation_zh : d.explanation_en),
    // With deemed consent, the decision without it is shown beside the
    // official one (DESIGN §2).
    plain ? h('div', { class: 'without-deemed', 'data-testid': 'without-deemed' },
      h('h4', {}, t('committee.withoutDeemed'), ' ', h('span', { class: `badge outcome-${String(plain.outcome || '').toLowerCase()}` }, t('committee.outcome.' + plain.outcome))),
      decisionLines(motion, plain),
      h('p', { class: 'explanation' }, lang() === 'zh' ? plain.explanation_zh : plain.explanation_en)) : null);
}

function objectionsCard(ctx, a, res, redraw) {
  const list = a.objections || [];
  const msg = h('div', { 'aria-live': 'polite' });
  const prelim = a.state === 'ASSEMBLY_STATE_PRELIMINARY';
  // Objections are taken until the deadline (the server refuses them after).
  const windowOpen = prelim && serverNow() < new Date(res.objection_deadline);
  // once sends a form's text once: its button is disabled until the
  // answer (an objection is logged for good; a double click made two).
  const once = async (ev, send) => {
    ev.preventDefault();
    const button = ev.currentTarget.querySelector('button[type=submit]');
    if (button.disabled) return;
    button.disabled = true;
    try {
      await send();
    } catch (err) {
      replace(msg, errorBox(err));
    } finally {
      button.disabled = false;
    }
  };
  const noNumber = (text) => {
    if (!longNumber(text)) return true;
    replace(msg, h('p', { class: 'alert error', role: 'alert' }, t('text.longNumber')));
    return false;
  };
  let form = null;
  if (windowOpen && can(ctx.me, 'object')) {
    const id = uid('obj');
    const text = h('textarea', { id, rows: 2, maxlength: 2000, required: true, 'data-testid': 'objection-text' });
    form = h('form', {
      onsubmit: (ev) => once(ev, async () => {
        if (!noNumber(text.value)) return;
        await post(asmPath(ctx.cid, ctx.aid, '/objections'), { text: text.value.trim() });
        await redraw();
      }),
    }, h('label', { for: id }, t('committee.objectionText')), text, h('button', { type: 'submit', 'data-testid': 'objection-submit' }, t('committee.object')));
  }
  return h('section', { class: 'card', 'data-testid': 'objections' },
    h('h3', {}, t('committee.objections')),
    h('p', { class: 'muted small' }, t('committee.deadline', { t: fmtTime(res.objection_deadline) })),
    list.length === 0 ? h('p', {}, t('committee.noObjections')) : h('ul', {}, list.map((o) => {
      let respond = null;
      if (!o.response && prelim && can(ctx.me, 'respond')) {
        const id = uid('resp');
        const text = h('textarea', { id, rows: 2, maxlength: 2000, required: true });
        respond = h('form', {
          onsubmit: (ev) => once(ev, async () => {
            if (!noNumber(text.value)) return;
            await post(asmPath(ctx.cid, ctx.aid, `/objections/${seg(o.objection_id)}:respond`), { text: text.value.trim() });
            await redraw();
          }),
        }, h('label', { for: id }, t('committee.response')), text, h('button', { type: 'submit' }, t('committee.respond')));
      }
      return h('li', { 'data-objection': o.objection_id },
        h('p', {}, h('strong', {}, o.objection_id), ` · ${fmtTime(o.record_time)} · `, o.text),
        o.response ? h('p', { class: 'response' }, `${t('committee.response')} (${fmtTime(o.response_time)}): `, o.response)
          : h('p', { class: 'warn' }, t('committee.awaiting')),
        respond);
    })),
    form, msg);
}

async function certCard(ctx, a, res, signers, redraw) {
  const members = (a.committee && a.committee.member_key_ids) || [];
  const k = (a.committee && a.committee.k) || 0;
  // A signature counts while its key is active, or was at certification,
  // as the server and the notice count them: a key revoked (lost) before
  // then no longer counts.
  const counts = (c) => {
    const s = signers.find((x) => x.key_id === c.key_id);
    return Boolean(s) && (!s.revoke_time || (a.certify_time && new Date(s.revoke_time) > new Date(a.certify_time)));
  };
  const signed = Object.fromEntries((a.certificate || []).filter(counts).map((c) => [c.key_id, c]));
  const local = (await listKeys().catch(() => [])).filter((x) => x.kind === 'COMMITTEE');
  // Only a key of the member signed in: never another member's kept in
  // this browser, so that one person cannot make up k of n.
  const mine = local.find((x) => members.includes(x.keyId) && !signed[x.keyId] && signerStatus(signers, x.keyId) === 'ACTIVE' &&
    ownedBy(signers, x.keyId, ctx.me));
  const nameOf = (id) => {
    const s = signers.find((x) => x.key_id === id);
    return s ? `${s.name} (${s.signer_id})` : t('committee.member', { id: id.slice(0, 12) + '…' });
  };
  const msg = h('div', { 'aria-live': 'polite' });
  const card = h('section', { class: 'card', 'data-testid': 'certification', 'data-signed': String(Object.keys(signed).length), 'data-k': String(k) },
    h('h3', {}, t('committee.cert')),
    h('p', { class: 'kofn', 'data-testid': 'kofn' }, t('committee.kOfN', { s: Object.keys(signed).length, k, n: members.length })),
    a.state === 'ASSEMBLY_STATE_CERTIFIED' ? h('p', { class: 'alert ok', 'data-testid': 'certified' }, t('committee.certified', { t: fmtTime(a.certify_time) })) : null,
    h('ul', { class: 'members' }, members.map((id) => h('li', { 'data-member': id, 'data-signed': signed[id] ? 'yes' : 'no' },
      signed[id] ? '✓ ' : '○ ', nameOf(id), ' · ', signed[id] ? t('committee.signed', { t: fmtTime(signed[id].sign_time) }) : t('committee.notSigned'),
      signerStatus(signers, id) === 'REVOKED' ? h('span', { class: 'warn' }, ' · ', t('committee.revoked')) : '',
      local.some((x) => x.keyId === id && ownedBy(signers, x.keyId, ctx.me)) ? ' ' + t('committee.you') : ''))));
  if (a.state !== 'ASSEMBLY_STATE_PRELIMINARY' || !can(ctx.me, 'certify')) return card;
  const lost = lostKeys(ctx, a, signers, local, members, nameOf, redraw);
  if (lost) card.append(lost);
  if (!mine) {
    card.append(h('p', { class: 'muted', 'data-testid': 'nokey' }, t('committee.noKey')));
    return card;
  }
  // The statement is made here, from the assembly, its frozen roll and
  // the result's digest the page shows (audit.CertificationStatement), and
  // signed only if it is the one the server gives: a signature over other
  // text is never asked of a member.
  const statement = `ownervote-certificate/1\nassembly=${a.assembly_id}\nroll=${a.roll_digest}\nresult=${res.result_digest}\n`;
  const sign = signingButton({ class: 'primary', 'data-testid': 'certify' }, t('committee.signButton'), msg, redraw, async () => {
    if (statement !== res.certification_statement) throw new Error(t('committee.statementDiffers'));
    const sig = await signEd25519(mine.privateKey, new TextEncoder().encode(statement));
    await post(asmPath(ctx.cid, ctx.aid, ':certify'), { key_id: mine.keyId, signature: toBase64(sig) });
    return { testid: 'signed-ok', text: t('committee.signedOk') };
  });
  // Inside the objection window the server refuses a signature: the
  // button waits for its end (by the server's clock).
  const until = res.objection_deadline ? new Date(res.objection_deadline) : null;
  const early = until && serverNow() < until;
  sign.disabled = Boolean(early);
  card.append(h('h4', {}, t('committee.statement')), h('pre', { class: 'statement', 'data-testid': 'statement' }, res.certification_statement),
    early ? h('p', { class: 'alert', 'data-testid': 'window-open' }, t('committee.windowUntil', { t: fmtTime(res.objection_deadline) }))
      : h('p', { class: 'muted small' }, t('committee.windowOpen')), sign, msg);
  return card;
}

// lostKeys lets the member signed in vouch for the new key of a member
// whose committee key was lost and revoked: the member enrols a new key,
// the street office approves it, and k − 1 other members (at least one)
// sign for it here, after checking its id with them; it then takes the lost
// key's place (ReplaceCommitteeKey).
function lostKeys(ctx, a, signers, local, members, nameOf, redraw) {
  const lost = members.filter((id) => signerStatus(signers, id) === 'REVOKED');
  if (!lost.length) return null;
  const k = (a.committee && a.committee.k) || 0;
  const needed = Math.max(1, k - 1);
  const pending = (a.committee && a.committee.pending_replacements) || [];
  const voucher = local.find((x) => members.includes(x.keyId) && signerStatus(signers, x.keyId) === 'ACTIVE' && ownedBy(signers, x.keyId, ctx.me));
  const msg = h('div', { 'aria-live': 'polite' });
  const rows = lost.flatMap((old) => {
    const who = signers.find((s) => s.key_id === old) || {};
    const name = nameOf(old);
    // Only a key the member enrolled through a sign-in issued to them can
    // take the lost one's place, as the server rules.
    const fresh = signers.filter((s) => s.kind === 'COMMITTEE' && s.signer_id === who.signer_id && !members.includes(s.key_id) &&
      signerStatus(signers, s.key_id) === 'ACTIVE' && s.holder_enrolled && s.registered_by !== who.registered_by &&
      !(who.revoke_time && new Date(s.create_time) < new Date(who.revoke_time)));
    if (!fresh.length) return [h('p', { class: 'warn', 'data-lost': old }, t('committee.lostNoKey', { name }))];
    return fresh.map((nk) => {
      const p = pending.find((x) => x.replaced_key_id === old && x.key_id === nk.key_id) || {};
      // Vouches count while the voucher's key is a member's and active, as
      // the server counts them.
      const vouchers = (p.endorser_key_ids || []).filter((id) => members.includes(id) && signerStatus(signers, id) === 'ACTIVE');
      const line = h('span', { 'data-testid': 'vouches' }, t('committee.vouches', { v: vouchers.length, n: needed }));
      const row = (...more) => h('p', { 'data-lost': old }, t('committee.lostNewKey', { name, key: nk.key_id, t: fmtTime(nk.approve_time) }), ' ', line, ' ', ...more);
      if (ownedBy(signers, nk.key_id, ctx.me)) return row(h('span', { class: 'muted' }, t('committee.lostOwnKey')));
      if (!voucher) return row(h('span', { class: 'muted' }, t('committee.lostNoVoucher')));
      if (vouchers.includes(voucher.keyId)) return row(h('span', { class: 'muted', 'data-testid': 'vouched-already' }, t('committee.vouchedAlready')));
      const vouch = signingButton({ 'data-testid': 'vouch' }, t('committee.vouch'), msg, redraw, async () => {
        const stmt = `ownervote-committee-key/1\nassembly=${a.assembly_id}\nreplaces=${old}\nkey=${nk.key_id}\n`;
        const sig = await signEd25519(voucher.privateKey, new TextEncoder().encode(stmt));
        const after = await post(asmPath(ctx.cid, ctx.aid, ':replaceCommitteeKey'), { replaced_key_id: old, key_id: nk.key_id, endorser_key_id: voucher.keyId, signature: toBase64(sig) });
        const done = ((after.committee && after.committee.member_key_ids) || []).includes(nk.key_id);
        return { testid: 'vouched', text: t(done ? 'committee.vouched' : 'committee.vouchRecorded', { name }) };
      });
      return row(vouch);
    });
  });
  return h('div', { 'data-testid': 'lost-keys' }, h('h4', {}, t('committee.lostTitle')), rows, msg);
}

// signingButton is a button that runs act (sign and send), then redraws
// the page and says what happened (act returns the message and its test
// id); on an error it shows it in msg and may be pressed again.
function signingButton(attrs, label, msg, redraw, act) {
  const button = h('button', {
    type: 'button', ...attrs,
    onclick: async () => {
      button.disabled = true;
      try {
        const done = await act();
        await redraw();
        document.querySelector('[data-testid=certification]')?.prepend(h('p', { class: 'alert ok', role: 'status', 'data-testid': done.testid }, done.text));
      } catch (err) {
        button.disabled = false;
        replace(msg, errorBox(err));
      }
    },
  }, label);
  return button;
}
