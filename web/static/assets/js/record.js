// Recording a vote taken on the phone or at the door, or entering a
// returned paper ballot: choose the owner, record the choices, read them
// back (to the owner, or against the paper), and sign the ballot's
// canonical bytes in this browser with the staff member's own Ed25519 key. The server
// verifies the signature and answers with a signed receipt, which is
// checked here too. Where the assembly requires maker-checker, a second
// staff member confirms the pending ballots below the form.

import { ApiError, asmPath, get, post, seg, serverNow } from './api.js';
import {
  BallotError, ballotId, canonicalBallot, checkNote, fromBase64, longNumber, parseCanonical, randomNonce, signEd25519,
  toBase64, utcSeconds, verifyEd25519,
} from './ballot.js';
import { cleanText, digestOf, errorBox, filterSelect, fmtArea, fmtTime, fromLocalInput, h, loading, localInputValue, replace, uid } from './dom.js';
import { t } from './i18n.js';
import { listKeys, ownedBy, signerStatus, supported, usableKey } from './keys.js';
import { assemblyHeader, loadAssembly } from './shell.js';

export async function recordPage(ctx) {
  replace(ctx.main, loading());
  const a = await loadAssembly(ctx.cid, ctx.aid);
  const [signersResp, nvResp, serverKeys] = await Promise.all([
    get('/signers?community_id=' + seg(ctx.cid)),
    get(asmPath(ctx.cid, ctx.aid, '/nonvoters')),
    get('/server/keys'),
  ]);
  const signers = signersResp.signers || [];
  ctx.signers = signers;
  const nonVoters = (nvResp.non_voters || []).slice().sort((x, y) =>
    (x.unit_ids[0] || '').localeCompare(y.unit_ids[0] || '', undefined, { numeric: true }));
  const section = h('section', { class: 'card', 'data-testid': 'record' });
  const confirmSection = h('section', { class: 'card', 'data-testid': 'confirmations' });
  replace(ctx.main, assemblyHeader(ctx, a, 'record'), section, a.settings && a.settings.maker_checker ? confirmSection : null);
  if (a.settings && a.settings.maker_checker) await drawConfirmations(ctx, a, confirmSection, nonVoters);

  replace(section, h('h2', {}, t('record.title')), h('p', { class: 'muted' }, t('record.intro')));
  if (a.state !== 'ASSEMBLY_STATE_OPEN') {
    section.append(h('p', { class: 'alert' }, t('record.closed')));
    return;
  }
  if (!supported()) {
    section.append(h('p', { class: 'alert error' }, t('keys.unsupported')));
    return;
  }
  const key = await usableKey('STAFF', ctx.cid, signers, ctx.me);
  if (!key) {
    const pending = (await listKeys()).some((k) => k.kind === 'STAFF' && signerStatus(signers, k.keyId) === 'PENDING' && ownedBy(signers, k.keyId, ctx.me));
    section.append(h('p', { class: 'alert', 'data-testid': 'nokey' }, pending ? t('record.pendingKey') : t('record.noKey')),
      h('p', {}, h('a', { href: '#/keys' }, t('record.goKeys'))));
    return;
  }
  if (!(a.channels || []).some((c) => STAFF_CHANNELS.includes(c.replace('CHANNEL_', '')))) {
    section.append(h('p', { class: 'alert' }, t('record.noChannel')));
    return;
  }
  if (nonVoters.length === 0) {
    section.append(h('p', {}, t('record.noVoters')));
    return;
  }
  section.append(h('p', { class: 'small', 'data-testid': 'signing-as' }, t('record.signingAs', { name: key.name, id: key.signerId, key: key.keyId })));
  const refresh = a.settings && a.settings.maker_checker ? () => drawConfirmations(ctx, a, confirmSection, nonVoters) : () => {};
  section.append(...voteForm(ctx, a, key, nonVoters, serverKeys, refresh));
}

// STAFF_CHANNELS are the channels whose ballots staff sign.
const STAFF_CHANNELS = ['PHONE', 'VISIT', 'PAPER'];

function voteForm(ctx, a, key, nonVoters, serverKeys, refresh) {
  const ids = {
    search: uid('search'), voter: uid('voter'), time: uid('time'), note: uid('note'), file: uid('file'), hash: uid('hash'), phone: uid('phone'),
    serial: uid('serial'), scanFile: uid('scanfile'), scan: uid('scan'),
  };
  const want = ctx.query.get('voter') || '';
  const voterSel = h('select', { id: ids.voter, required: true, 'data-testid': 'voter' },
    h('option', { value: '' }, t('record.choose')),
    nonVoters.map((nv) => {
      // Where votes may not be changed, a ballot waiting for its check is
      // the voter's: the server refuses another (BALLOT_WAITING).
      const waiting = Boolean(nv.waiting_ballot_id) && !(a.settings && a.settings.allow_revote);
      return h('option', { value: nv.voter, selected: nv.voter === want && !waiting, disabled: waiting, 'data-waiting': waiting ? nv.waiting_ballot_id : null, 'data-units': nv.unit_ids.join(' ') },
        `${nv.unit_ids.join('、')} · ${fmtArea(nv.figures.area_m2)} m²${waiting ? ' · ' + t('record.waiting') : ''}`);
    }));
  const search = h('input', { id: ids.search, type: 'search', autocomplete: 'off', 'data-testid': 'voter-search', 'aria-describedby': ids.search + '-note' });
  const searchNote = h('p', { id: ids.search + '-note', class: 'muted small', 'aria-live': 'polite', 'data-testid': 'voter-match' });
  const phoneOut = h('output', { id: ids.phone, class: 'mono', 'data-testid': 'masked-phone' });
  const nvOf = (v) => nonVoters.find((nv) => nv.voter === v);
  const showPhone = () => {
    const nv = nvOf(voterSel.value);
    replace(phoneOut, nv ? nv.masked_phone || t('calls.noPhone') : '');
  };
  voterSel.addEventListener('change', showPhone);
  filterSelect(search, voterSel, searchNote, showPhone);
  showPhone();

  const channels = STAFF_CHANNELS.filter((c) => (a.channels || []).includes('CHANNEL_' + c));
  // The channel chosen for the last ballot entered (a pile of paper
  // ballots is entered one after the other), else the first.
  const first = channels.includes(ctx.query.get('channel')) ? ctx.query.get('channel') : channels[0];
  // A pile of paper ballots received together is dated once: the time
  // the last one gave is the next one's.
  const receivedAt = first === 'PAPER' && ctx.query.get('received') ? new Date(ctx.query.get('received')) : null;
  const received = receivedAt && !Number.isNaN(receivedAt.getTime()) ? receivedAt : null;
  const noteLabel = h('label', { for: ids.note }, t('record.note'));
  const timeLabel = h('label', { for: ids.time }, t('record.time'));
  const channelSet = h('fieldset', {}, h('legend', {}, t('record.channel')), channels.map((c) => {
    const id = uid('ch');
    return h('div', { class: 'radio' }, h('input', {
      type: 'radio', name: 'channel', id, value: c, checked: c === first, 'data-channel': c, onchange: () => setChannel(c),
    }), h('label', { for: id }, t('channel.' + c)));
  }));

  const motionSets = (a.motions || []).map((m) => {
    const multi = (m.seats || 0) > 1;
    // INVALID is for a returned paper ballot that cannot be read for this
    // motion (more marks than allowed, none legible); it is offered for
    // paper ballots only.
    const values = (m.options || []).length ? [...m.options.map((o) => [o.option_id, o.name || o.option_id]), ['ABSTAIN', t('choice.ABSTAIN')]]
      : [['AGREE', t('choice.AGREE')], ['OPPOSE', t('choice.OPPOSE')], ['ABSTAIN', t('choice.ABSTAIN')]];
    values.push(['INVALID', t('record.invalid')]);
    // Where several candidates may be ticked, ABSTAIN and INVALID stand
    // alone: ticking one unticks the rest, and a candidate unticks them.
    const alone = (v) => KEYWORDS.includes(v);
    const onchange = multi ? (ev) => {
      const x = ev.target;
      if (!x.checked) return;
      for (const y of ev.currentTarget.querySelectorAll('input')) {
        if (y !== x && (alone(x.value) || alone(y.value))) y.checked = false;
      }
    } : null;
    return h('fieldset', { class: 'motion-choice', 'data-motion': m.motion_id, onchange },
      h('legend', {}, m.title || m.motion_id, multi ? ` (${t('record.atMost', { n: m.seats })})` : ''),
      values.map(([v, label]) => {
        const id = uid('c');
        return h('div', { class: 'radio', 'data-paper-only': v === 'INVALID' ? '' : null },
          h('input', { type: multi ? 'checkbox' : 'radio', name: 'm:' + m.motion_id, id, value: v, 'data-choice': `${m.motion_id}:${v}` }),
          h('label', { for: id }, label));
      }));
  });

  const time = h('input', {
    id: ids.time, type: 'datetime-local', required: true, value: localInputValue(received || serverNow()), 'data-testid': 'att-time',
    // (No max: the form may stay open through a call; a later time is
    // taken as now when signed.)
    min: a.opens_at ? localInputValue(new Date(a.opens_at)) : null,
  });
  const noteHint = h('p', { class: 'muted small', id: ids.note + '-hint' }, t('record.notePublic'));
  const note = h('textarea', { id: ids.note, rows: 2, 'data-testid': 'att-note', 'aria-describedby': ids.note + '-hint' });
  const hash = h('input', { id: ids.hash, pattern: '[0-9a-fA-F]{64}', autocomplete: 'off', class: 'mono', 'data-testid': 'att-recording' });
  const file = h('input', { id: ids.file, type: 'file', accept: 'audio/*' });
  // A returned paper ballot: the serial printed on it and its scan, whose
  // SHA-256 is computed here (the scan itself is not uploaded).
  const serial = h('input', { id: ids.serial, maxlength: 64, autocomplete: 'off', class: 'mono', 'data-testid': 'paper-serial', 'aria-describedby': ids.serial + '-hint' });
  const scan = h('input', { id: ids.scan, pattern: '[0-9a-fA-F]{64}', autocomplete: 'off', class: 'mono', 'data-testid': 'paper-scan' });
  const scanFile = h('input', { id: ids.scanFile, type: 'file', accept: 'image/*,application/pdf', 'data-testid': 'paper-scan-file' });
  const paperFields = h('div', { 'data-testid': 'paper-fields' },
    h('label', { for: ids.serial }, t('record.serial')), serial,
    h('p', { class: 'muted small', id: ids.serial + '-hint' }, t('record.serialHint')),
    h('label', { for: ids.scanFile }, t('record.scanFile')), scanFile,
    h('label', { for: ids.scan }, t('record.scanHash')), scan);
  // What a call or visit records, and a paper ballot never does.
  const callFields = h('div', { 'data-testid': 'call-fields' },
    noteLabel, note, noteHint,
    h('label', { for: ids.file }, t('record.recording')), file,
    h('label', { for: ids.hash }, t('record.recordingHash')), hash);
  const phoneLine = h('p', {}, h('label', { for: ids.phone }, t('record.phone')), ' ', phoneOut);
  const invalidHint = h('p', { class: 'muted small', 'data-testid': 'invalid-hint' }, t('record.invalidHint'));
  const paperOnly = motionSets.flatMap((fs) => [...fs.querySelectorAll('[data-paper-only]')]);
  // setChannel shows the fields of the chosen channel; a choice made
  // INVALID on paper is cleared when the channel changes.
  const setChannel = (c) => {
    replace(noteLabel, c === 'VISIT' ? t('record.noteVisit') : t('record.note'));
    replace(timeLabel, c === 'PAPER' ? t('record.timePaper') : t('record.time'));
    paperFields.hidden = c !== 'PAPER';
    callFields.hidden = c === 'PAPER';
    phoneLine.hidden = c === 'PAPER';
    invalidHint.hidden = c !== 'PAPER';
    replace(next, t(c === 'PAPER' ? 'record.nextPaper' : 'record.next'));
    for (const el of paperOnly) {
      el.hidden = c !== 'PAPER';
      if (c !== 'PAPER') el.querySelector('input').checked = false;
    }
  };
  const next = h('button', { type: 'submit', class: 'primary', 'data-testid': 'next' });
  const msg = h('div', { 'aria-live': 'polite' });
  // Nothing goes on while a file's digest is computed (the recording's or
  // the scan's: the page waits for both).
  const hashing = h('p', { class: 'muted small', role: 'status', 'data-testid': 'hashing' });
  const busy = () => {
    const on = Boolean(hash.dataset.hashing || scan.dataset.hashing);
    next.disabled = on;
    replace(hashing, on ? t('record.hashing') : '');
  };
  digestOf(file, hash, busy);
  digestOf(scanFile, scan, busy);
  const readback = h('div', { 'data-testid': 'readback' });
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'result' });

  const form = h('form', { 'data-testid': 'vote-form', novalidate: true },
    h('label', { for: ids.search }, t('record.search')), search, searchNote,
    h('label', { for: ids.voter }, t('record.household')), voterSel,
    phoneLine,
    channelSet,
    h('h3', {}, t('record.choices')), invalidHint, motionSets,
    timeLabel, time,
    paperFields, callFields,
    hashing, msg,
    next);

  setChannel(first);

  // collect reads the form into the parts of a ballot, or throws a message.
  const collect = () => {
    const nv = nvOf(voterSel.value);
    if (!nv) throw new Error(t('record.needVoter'));
    const channel = form.querySelector('input[name=channel]:checked')?.value;
    const choice = {};
    for (const m of a.motions || []) {
      const vals = [...form.querySelectorAll(`input[name="m:${CSS.escape(m.motion_id)}"]:checked`)].map((x) => x.value);
      if (vals.length === 0) throw new Error(t('record.needChoice'));
      if (vals.length > Math.max(1, m.seats || 0)) throw new Error(t('record.atMost', { n: m.seats }));
      choice[m.motion_id] = vals;
    }
    const paper = channel === 'PAPER';
    const at = fromLocalInput(time.value);
    if (!at) throw new Error(t(paper ? 'record.badTimePaper' : 'record.badTime'));
    // The server refuses, and keeps refused, a vote dated before the
    // opening (EARLY_BALLOT): said here before anything is signed.
    if (a.opens_at && at < new Date(a.opens_at)) throw new Error(t(paper ? 'record.beforeOpeningPaper' : 'record.beforeOpening', { t: fmtTime(a.opens_at) }));
    const att = { staff: key.signerId, time: utcSeconds(at > serverNow() ? serverNow() : at) };
    if (paper) {
      // Typed through a Chinese input method, Ｐ－００５７ is P-0057.
      const s = serial.value.trim().replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
      if (!s) throw new Error(t('record.needSerial'));
      const sum = scan.value.trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sum)) throw new Error(t('record.needScan'));
      att.paper_serial = s;
      att.scan = sum;
      return { nv, channel, choice, att };
    }
    if (channel === 'PHONE') {
      if (!nv.masked_phone) throw new Error(t('record.noPhoneForPhone'));
      att.phone = nv.masked_phone;
    }
    const n = note.value.trim();
    if (n) {
      const bad = checkNote(n);
      if (bad) throw new BallotError('attestation.note', bad);
      if (longNumber(n)) throw new Error(t('text.longNumber'));
      att.note = n;
    }
    // (Windows' Get-FileHash writes it in capitals; the ballot takes it in
    // lower case, as the scan's.)
    const rec = hash.value.trim().toLowerCase();
    if (rec) {
      if (!/^[0-9a-f]{64}$/.test(rec)) throw new Error(t('record.badRecording'));
      att.recording = rec;
    }
    return { nv, channel, choice, att };
  };

  const setEditable = (on) => {
    for (const el of form.elements) el.disabled = !on;
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    replace(msg);
    let parts;
    try {
      parts = collect();
      // Check every rule of the format before reading back.
      canonicalBallot(draft(a, key, parts));
    } catch (err) {
      replace(msg, h('p', { class: 'alert error', role: 'alert' }, err instanceof BallotError ? ballotRuleText(err) : err.message));
      return;
    }
    setEditable(false);
    const confirmId = uid('ok');
    const confirm = h('input', { type: 'checkbox', id: confirmId, 'data-testid': 'confirmed' });
    const sign = h('button', { type: 'button', class: 'primary', disabled: true, 'data-testid': 'sign' }, t('record.sign'));
    const back = h('button', { type: 'button', 'data-testid': 'back', onclick: () => { replace(readback); replace(result); setEditable(true); } }, t('record.back'));
    confirm.addEventListener('change', () => { sign.disabled = !confirm.checked; });
    // The ballot is signed once: a retry after a failure sends the same
    // bytes, so that a ballot the server did store is answered as such and
    // not refused as a second one. Going back to change it makes a new one.
    let signed = null;
    sign.addEventListener('click', async () => {
      sign.disabled = true;
      back.disabled = true;
      try {
        signed ||= await signDraft(a, key, parts);
      } catch (err) {
        replace(result, errorBox(err));
        sign.disabled = false;
        back.disabled = false;
        return;
      }
      const outcome = await submit(ctx, parts, signed, serverKeys, result);
      if (outcome === 'taken') {
        replace(readback);
        refresh();
        return;
      }
      back.disabled = false;
      if (outcome === 'final') {
        // The server's answer to these bytes does not change: sent again,
        // they get it again. What is wrong is changed by going back.
        back.focus();
        return;
      }
      replace(sign, t('record.retry'));
      sign.disabled = false;
      sign.focus();
    });
    const paper = parts.channel === 'PAPER';
    const units = parts.nv.unit_ids.join('、');
    replace(readback, h('div', { class: 'readback', role: 'group', 'aria-labelledby': confirmId + '-h' },
      h('h3', { id: confirmId + '-h' }, t(paper ? 'record.readbackPaper' : 'record.readback')),
      h('p', {}, paper ? t('record.scriptPaper', { units, serial: parts.att.paper_serial }) : t('record.script', { units })),
      h('ul', {}, (a.motions || []).map((m) => h('li', { 'data-readback': m.motion_id }, `${m.title || m.motion_id}：`,
        h('strong', {}, parts.choice[m.motion_id].map((v) => optionLabel(m, v)).join('、'))))),
      h('p', { class: 'muted small' }, `${t('channel.' + parts.channel)} · ${paper ? t('record.receivedAt') + ' ' : ''}${fmtTime(new Date(parts.att.time))}${parts.att.note ? ' · ' + parts.att.note : ''}`),
      paper ? h('p', { class: 'mono small', 'data-testid': 'readback-scan' }, `${t('record.scanHash')}: ${parts.att.scan}`) : null,
      h('div', { class: 'radio' }, confirm, h('label', { for: confirmId }, t(paper ? 'record.confirmedPaper' : 'record.confirmed'))),
      h('div', { class: 'actions' }, sign, back)));
    confirm.focus();
  });

  return [form, readback, result];
}

// ballotRuleText says which rule of the format a ballot breaks, in the
// page's language first, with the encoder's own words (in English).
function ballotRuleText(err) {
  const key = 'record.field.' + err.field;
  const what = t(key) !== key ? t(key) : `${t('record.ballotRule')}（${err.field}）`;
  return `${what} (${err.field}: ${err.reason})`;
}

const KEYWORDS = ['AGREE', 'OPPOSE', 'ABSTAIN', 'INVALID'];

function optionLabel(m, v) {
  if (KEYWORDS.includes(v)) return t('choice.' + v);
  const o = (m.options || []).find((x) => x.option_id === v);
  return (o && o.name) || v;
}

// draft is the ballot in the JSON form of docs/ballot-format.md §12.
function draft(a, key, { nv, channel, choice, att }) {
  return {
    assembly: a.assembly_id, roll: a.roll_digest, voter: nv.voter, channel, signer: 'STAFF', key: key.keyId,
    nonce: randomNonce(), time: utcSeconds(serverNow()), attestation: att, choice,
  };
}

// signDraft makes and signs the ballot: {canonical, signature, id}.
async function signDraft(a, key, parts) {
  const canonical = canonicalBallot(draft(a, key, parts));
  return { canonical, signature: await signEd25519(key.privateKey, canonical), id: await ballotId(canonical) };
}

// submit sends a signed ballot and shows the answer; it reports whether the
// server took it (counted, or waiting for confirmation).
// submit sends the signed ballot and shows what became of it: 'taken'
// (counted, or waiting for its check), 'final' (refused: the same bytes
// sent again get the same answer) or 'retry' (not answered: the network,
// or the server unavailable).
async function submit(ctx, parts, { canonical, signature, id }, serverKeys, result) {
  replace(result, h('p', { class: 'muted' }, t('loading')));
  try {
    const r = await post(asmPath(ctx.cid, ctx.aid, '/ballots'), { ballot: toBase64(canonical), signature: toBase64(signature) });
    const status = String(r.status).replace('BALLOT_STATUS_', '');
    const paper = parts.channel === 'PAPER';
    let receiptOk = null;
    if (r.receipt) {
      const receipt = fromBase64(r.receipt);
      const text = new TextDecoder().decode(receipt);
      receiptOk = r.ballot_id === id && text.includes(`\nballot_id=${id}\n`) &&
        await verifyEd25519(fromBase64(serverKeys.receipt_public_key), fromBase64(r.receipt_signature), receipt);
    }
    const taken = status === 'ACCEPTED' || status === 'PENDING_CONFIRMATION';
    replace(result, h('div', { class: `alert ${taken ? 'ok' : 'error'}`, role: 'status', 'data-status': status, 'data-ballot': r.ballot_id },
      h('p', {}, h('strong', {}, status === 'PENDING_CONFIRMATION' ? t('record.pendingBallot') : status === 'ACCEPTED' ? t('record.accepted') : t('record.status.' + status))),
      h('p', { class: 'mono small' }, `${t('record.ballotId')} ${r.ballot_id} · ${t('record.seq')} ${r.seq}`),
      receiptOk === null ? null : h('p', { 'data-receipt': receiptOk ? 'verified' : 'bad' }, receiptOk ? t('record.receiptOk') : t('record.receiptBad')),
      h('p', {}, h('a', {
        href: `#/c/${seg(ctx.cid)}/a/${seg(ctx.aid)}/record?channel=${parts.channel}${paper ? '&received=' + encodeURIComponent(parts.att.time) : ''}&n=${Date.now()}`,
        'data-testid': 'another',
      }, t(paper ? 'record.anotherPaper' : 'record.another')))));
    // The call list shows that this owner voted on the call (best effort);
    // a paper ballot came back by hand.
    if (taken && !paper) post(asmPath(ctx.cid, ctx.aid, '/calls'), { voter: parts.nv.voter, outcome: 'CALL_OUTCOME_VOTED', channel: 'CHANNEL_' + parts.channel }).catch(() => {});
    return taken ? 'taken' : 'final';
  } catch (err) {
    replace(result, errorBox(err));
    return err instanceof ApiError && err.status < 500 && err.status !== 429 ? 'final' : 'retry';
  }
}

// drawConfirmations lists the ballots waiting for a second staff member,
// who counts each one or rejects it with a reason.
async function drawConfirmations(ctx, a, section, nonVoters) {
  replace(section, h('h2', {}, t('confirm.title')), h('p', { class: 'muted' }, t('confirm.intro')), loading());
  const pending = [];
  let after = '0';
  for (;;) {
    const r = await get(asmPath(ctx.cid, ctx.aid, `/ballots?status=BALLOT_STATUS_PENDING_CONFIRMATION&page_size=1000&after_seq=${after}`));
    for (const b of r.ballots || []) if (b.status === 'BALLOT_STATUS_PENDING_CONFIRMATION') pending.push(b);
    if (!r.next_after_seq || r.next_after_seq === '0') break;
    after = r.next_after_seq;
  }
  const units = Object.fromEntries(nonVoters.map((nv) => [nv.voter, nv.unit_ids.join('、')]));
  // The staff member signed in, whose own ballots another must check.
  const me = await usableKey('STAFF', ctx.cid, ctx.signers || [], ctx.me);
  const msg = h('div', { 'aria-live': 'polite' });
  // redrawSaying redraws the list as the server has it now and puts what
  // happened above it, focused; if the list cannot be loaded, it says so
  // with what happened.
  const redrawSaying = async (said) => {
    said.tabIndex = -1;
    try {
      await drawConfirmations(ctx, a, section, nonVoters);
      section.querySelector('[aria-live]').append(said);
    } catch (err) {
      replace(section, h('h2', {}, t('confirm.title')), h('div', { 'aria-live': 'polite' }, said, errorBox(err), h('p', {}, t('confirm.reload'))));
    }
    said.focus();
  };
  // settle signs statement with this staff member's own key (so that
  // nobody checks a ballot they took themselves), sends it with body to
  // the ballot's action, redraws the list and says done.
  const settle = async (b, action, statement, body, done) => {
    const key = await usableKey('STAFF', ctx.cid, ctx.signers || [], ctx.me);
    if (!key) throw new Error(t('record.noKey'));
    const signature = await signEd25519(key.privateKey, new TextEncoder().encode(statement));
    await post(asmPath(ctx.cid, ctx.aid, `/ballots/${seg(b.ballot_id)}:${action}`), { ...body, key_id: key.keyId, signature: toBase64(signature) });
    await redrawSaying(h('p', { class: 'alert ok', role: 'status', 'data-testid': 'settled-' + action }, done));
  };
  // pressed runs act for a card's button, its buttons disabled meanwhile.
  // What the server answers with an error about the ballot (refused at the
  // check, or checked already by a colleague) is shown over the list
  // redrawn as the server now has it; an error in what was sent (a
  // rejection's reason the server does not take), or another error, beside
  // the card, which keeps what was typed; focus goes back to fix it.
  const pressed = (button, act, fix = button) => async (ev) => {
    ev.preventDefault();
    const buttons = [...(button.closest('li') || button).querySelectorAll('button')];
    buttons.forEach((x) => { x.disabled = true; });
    replace(msg); // an earlier error is not this one's
    try {
      await act();
    } catch (err) {
      // (Only a bad argument is what was sent: the gateway answers a
      // failed precondition, the ballot checked by a colleague, with 400 too.)
      if (err instanceof ApiError && err.reason !== 'INVALID_ARGUMENT') {
        await redrawSaying(errorBox(err));
        return;
      }
      buttons.forEach((x) => { x.disabled = x.dataset.blocked === 'true'; });
      replace(msg, errorBox(err));
      fix.focus();
    }
  };
  replace(section, h('h2', {}, t('confirm.title')), h('p', { class: 'muted' }, t('confirm.intro')), msg,
    pending.length === 0 ? h('p', {}, t('confirm.none')) : h('ul', { class: 'cards' }, pending.map((b) => {
      const d = parseCanonical(fromBase64(b.ballot));
      const att = d.attestation || {};
      const confirm = h('button', { type: 'button', class: 'primary', 'data-confirm': b.ballot_id }, t('confirm.button'));
      confirm.onclick = pressed(confirm, () => settle(b, 'confirm', `ownervote-confirmation/1\nassembly=${ctx.aid}\nballot=${b.ballot_id}\n`, {}, t('confirm.done')));
      // A rejection says why, in one public line that the staff member signs.
      const reasonId = uid('rj');
      const hint = h('p', { id: reasonId + '-hint', class: 'muted small' }, t('reject.hint'));
      const reason = h('input', { id: reasonId, required: true, maxlength: 200, 'aria-describedby': hint.id, 'data-testid': 'reject-reason' });
      const send = h('button', { type: 'submit', 'data-testid': 'reject-send' }, t('reject.send'));
      const form = h('form', { id: reasonId + '-form', class: 'reject', hidden: true },
        h('label', { for: reasonId }, t('reject.reason')), hint, reason, send);
      form.onsubmit = pressed(send, () => {
        // Invisible characters a paste brings along are dropped: the server
        // refuses them.
        const text = cleanText(reason.value);
        if (longNumber(text)) throw new Error(t('text.longNumber'));
        return settle(b, 'reject', `ownervote-rejection/1\nassembly=${ctx.aid}\nballot=${b.ballot_id}\nreason=${text}\n`, { reason: text }, t('reject.done'));
      }, reason);
      const toggle = h('button', {
        type: 'button', 'data-reject': b.ballot_id, 'aria-expanded': 'false', 'aria-controls': form.id,
        onclick: () => {
          form.hidden = !form.hidden;
          toggle.setAttribute('aria-expanded', String(!form.hidden));
          if (!form.hidden) reason.focus();
        },
      }, t('reject.button'));
      // What the owner chose, as the agenda words it, for the checker to
      // read back to them.
      const chosen = (a.motions || []).filter((m) => d.choice[m.motion_id]).map((m) =>
        h('li', { 'data-chosen': m.motion_id }, `${m.title || m.motion_id}：`, h('strong', {}, d.choice[m.motion_id].map((v) => optionLabel(m, v)).join('、'))));
      const own = me && att.staff === me.signerId;
      // A paper ballot's checker compares the paper with its scan: the
      // scan picked here must be the one the ballot names.
      const scanCheck = att.scan ? paperScanCheck(att, (same) => {
        confirm.dataset.blocked = String(same === false);
        confirm.disabled = same === false;
      }) : null;
      return h('li', { class: 'card', 'data-pending': b.ballot_id },
        h('p', {}, h('strong', {}, units[b.voter] || b.voter), ` · ${t('channel.' + d.channel)} · ${fmtTime(att.time)} · ${t('confirm.staff', { s: att.staff || '' })}`),
        h('ul', { class: 'chosen' }, chosen),
        att.note ? h('p', { class: 'muted small' }, att.note) : null,
        scanCheck,
        h('p', { class: 'mono small' }, b.ballot_id),
        // The staff member who took a ballot does not check it: the server
        // would refuse (SAME_STAFF).
        own ? h('p', { class: 'muted', 'data-testid': 'own-ballot' }, t('confirm.own')) : [h('div', { class: 'actions' }, confirm, toggle), form]);
    })));
}

// paperScanCheck shows a paper ballot's serial and scan digest, and checks
// a scan file picked by the checker against the digest (in this browser;
// nothing is uploaded), telling result whether it is the same (null while
// none is picked).
function paperScanCheck(att, result) {
  const id = uid('chk');
  const said = h('output', { for: id, 'data-testid': 'scan-check' });
  const file = h('input', { id, type: 'file', accept: 'image/*,application/pdf', 'data-testid': 'scan-check-file' });
  const digest = h('input', { type: 'hidden' });
  digestOf(file, digest, (on) => {
    delete said.dataset.same;
    replace(said, on ? t('record.hashing') : '');
    result(null);
    if (on || !digest.value) return;
    const same = digest.value === att.scan;
    said.dataset.same = String(same);
    replace(said, h('span', { class: same ? 'ok' : 'error' }, t(same ? 'confirm.scanSame' : 'confirm.scanDiffers')));
    result(same);
  });
  return h('div', { class: 'small' },
    h('p', { class: 'mono' }, `${t('record.serial')}: ${att.paper_serial} · ${t('record.scanHash')}: ${att.scan}`),
    h('label', { for: id }, t('confirm.scanFile')), file, ' ', said);
}
