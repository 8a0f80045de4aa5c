// An assembly's proxy authorisations (委托书), for staff: record one before
// the holder votes (the voter, the holder's name and identity number, the
// holder's own public key for proxy ballots, the SHA-256 of the signed
// authorisation, computed here from its scan, which is not uploaded), list
// them, standing and withdrawn, and withdraw one with a public reason.

import { asmPath, get, post, seg } from './api.js';
import { publicKey, toBase64 } from './ballot.js';
import { docField, docProblem, errorBox, field, filterSelect, fmtTime, formDialog, h, loading, reasonOf, replace, uid } from './dom.js';
import { t } from './i18n.js';
import { assemblyHeader, loadAssembly } from './shell.js';

export async function proxiesPage(ctx) {
  replace(ctx.main, loading());
  let a = await loadAssembly(ctx.cid, ctx.aid);
  const section = h('section', { class: 'card', 'data-testid': 'proxies' });
  const dialog = h('dialog', { class: 'dialog' });
  // What was typed (a holder's identity number) does not stay in the page.
  dialog.addEventListener('close', () => replace(dialog));
  replace(ctx.main, assemblyHeader(ctx, a, 'proxies'), section, dialog);
  const msg = h('div', {});

  // draw shows the list as the server has it now, with said above it
  // (after a change, for which the assembly is read again: it may have
  // closed meanwhile).
  const draw = async (said) => {
    replace(section, h('h2', {}, t('proxy.title')), h('p', { class: 'muted' }, t('proxy.intro')), msg, loading());
    const [r, now] = await Promise.all([get(asmPath(ctx.cid, ctx.aid, '/proxies')), said ? loadAssembly(ctx.cid, ctx.aid) : a]);
    a = now;
    const open = a.state === 'ASSEMBLY_STATE_PUBLISHED' || a.state === 'ASSEMBLY_STATE_OPEN';
    const proxies = r.proxies || [];
    // The voter's units on the assembly's frozen roll: none once they sold.
    const units = (p) => (p.unit_ids || []).join('、') || `${t('proxy.sold')} · ${p.voter}`;
    const voteText = (p) => t(p.voted ? (p.voted_by_holder ? 'proxy.votedByHolder' : 'proxy.votedOtherwise') : 'proxy.notVoted');
    const standing = new Set(proxies.filter((p) => !p.withdraw_time).map((p) => p.voter));
    // The households each holder acts for, as the proxy cap counts them:
    // standing authorisations, and withdrawn ones whose ballot by the
    // holder counts.
    const holderOf = (p) => p.holder_tag || p.holder_key_id;
    const acting = new Map(); // holder → the voters they act for
    for (const p of proxies) {
      if (!p.withdraw_time || p.voted_by_holder) acting.set(holderOf(p), (acting.get(holderOf(p)) || new Set()).add(p.voter));
    }
    const cap = (a.settings && a.settings.proxy_cap) || 0;
    const actsFor = (p) => t(cap ? 'proxy.actsForCap' : 'proxy.actsFor', { n: (acting.get(holderOf(p)) || new Set()).size, cap });
    replace(msg, said || '');
    replace(section, h('h2', {}, t('proxy.title')), h('p', { class: 'muted' }, t('proxy.intro')), msg,
      !(a.channels || []).includes('CHANNEL_PROXY') ? h('p', { class: 'alert' }, t('proxy.noChannel'))
        : open ? h('p', {}, h('button', {
          type: 'button', class: 'primary', 'data-testid': 'proxy-new',
          onclick: (ev) => record(ev.currentTarget, standing),
        }, t('proxy.new'))) : h('p', { class: 'muted' }, t('proxy.closed')),
      proxies.length === 0 ? h('p', { 'data-testid': 'proxy-none' }, t('proxy.none')) : h('ul', { class: 'cards', 'data-testid': 'proxy-list' }, proxies.map((p) => h('li', {
        class: 'card', 'data-proxy': p.voter, 'data-withdrawn': p.withdraw_time ? 'true' : 'false',
      },
      h('p', {}, h('strong', { 'data-testid': 'proxy-units' }, units(p)), p.voter_name ? ` · ${t('proxy.principal')} ${p.voter_name}` : '',
        ' · ', t('proxy.holder'), ' ', p.holder_name, ' ',
        p.withdraw_time ? h('span', { class: 'badge' }, t('proxy.withdrawnBadge')) : null),
      h('p', { class: 'small', 'data-testid': 'proxy-vote' }, voteText(p), ' · ', h('span', { 'data-testid': 'proxy-acts' }, actsFor(p))),
      h('p', { class: 'muted small', 'data-testid': 'proxy-recorded' }, `${t('proxy.recorded')} ${fmtTime(p.record_time)}${p.recorded_by ? ` · ${t('proxy.by', { who: p.recorded_by })}` : ''} · ${t('proxy.key')} `,
        h('span', { class: 'mono' }, p.holder_key_id)),
      h('p', { class: 'muted small mono' }, `${t('proxy.document')}: ${p.document_sha256}`),
      p.withdraw_time ? h('p', { class: 'small', 'data-testid': 'proxy-withdrawn' }, t('proxy.withdrawnWhy', { t: fmtTime(p.withdraw_time), why: p.withdraw_reason }),
        p.withdrawn_by ? ` · ${t('proxy.by', { who: p.withdrawn_by })}` : '') : null,
      !p.withdraw_time && open ? h('div', { class: 'actions' }, h('button', {
        type: 'button', 'data-withdraw-proxy': p.voter, 'aria-label': `${t('proxy.withdraw')} ${units(p)}`, onclick: () => withdraw(p, units(p)),
      }, t('proxy.withdraw'))) : null))));
  };
  // redraw draws the list again after a change, saying done, focused.
  const redraw = async (done) => {
    const said = h('p', { class: 'alert ok', role: 'status', tabindex: '-1' }, done);
    try {
      await draw(said);
    } catch (err) {
      replace(section, said, errorBox(err));
    }
    said.focus();
  };


  // record asks the households that have not voted, less those with a
  // standing authorisation, and opens the dialog.
  const record = async (button, standing) => {
    button.disabled = true;
    let nv;
    try {
      nv = await get(asmPath(ctx.cid, ctx.aid, '/nonvoters'));
    } catch (err) {
      replace(msg, errorBox(err));
      return;
    } finally {
      button.disabled = false;
    }
    const nonVoters = (nv.non_voters || []).filter((x) => !standing.has(x.voter)).sort((x, y) =>
      (x.unit_ids[0] || '').localeCompare(y.unit_ids[0] || '', undefined, { numeric: true }));
    const vid = uid('voter');
    const sid = uid('search');
    const voter = h('select', { id: vid, required: true, 'data-testid': 'proxy-voter' }, h('option', { value: '' }, t('record.choose')),
      nonVoters.map((x) => h('option', { value: x.voter, 'data-units': x.unit_ids.join(' ') }, x.unit_ids.join('、'))));
    // A long list is filtered by unit, as on the record page.
    const search = h('input', { id: sid, type: 'search', autocomplete: 'off', 'data-testid': 'proxy-voter-search', 'aria-describedby': sid + '-note' });
    const searchNote = h('p', { id: sid + '-note', class: 'muted small', 'aria-live': 'polite' });
    filterSelect(search, voter, searchNote);
    const [name, nameF] = field(t('proxy.holderName'), { maxlength: 64, required: true, autocomplete: 'off', 'data-testid': 'proxy-name' });
    const [idn, idnF] = field(t('proxy.holderID'), { maxlength: 30, required: true, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'proxy-id' }, t('proxy.holderIDHint'));
    const [key, keyF] = field(t('proxy.holderKey'), { maxlength: 100, required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'data-testid': 'proxy-key' }, t('proxy.holderKeyHint'));
    const [doc, docF] = docField(t('proxy.documentHash'), { 'data-testid': 'proxy-doc' }, t('proxy.documentFile'), 'image/*,application/pdf');
    formDialog(dialog, {
      title: t('proxy.newTitle'), intro: h('p', { class: 'muted' }, t('proxy.newIntro')),
      fields: [h('label', { for: sid }, t('record.search')), search, searchNote, h('label', { for: vid }, t('proxy.voter')), voter, nameF, idnF, keyF, docF],
      submit: t('proxy.save'), testid: 'proxy-save',
      check: () => {
        if (!voter.value) return t('record.needVoter');
        if (!name.value.trim()) return t('proxy.needName');
        if (!idn.value.trim()) return t('proxy.needID');
        const pub = publicKey(key.value);
        if (!pub) return t('proxy.badKey');
        return docProblem(doc, true) || { voter: voter.value, holder_name: name.value.trim(), holder_id_number: idn.value.trim(),
          holder_public_key: toBase64(pub), document_sha256: doc.value.trim().toLowerCase() };
      },
      send: (body) => post(asmPath(ctx.cid, ctx.aid, '/proxies'), body),
      done: (p) => redraw(t('proxy.recordedDone', { u: voter.selectedOptions[0]?.textContent || p.voter, name: p.holder_name })),
    });
  };

  const withdraw = (p, units) => {
    const [reason, reasonF] = field(t('calls.reason'), { maxlength: 200, required: true, 'data-testid': 'proxy-reason' }, t('proxy.reasonHint'));
    formDialog(dialog, {
      title: t('proxy.withdrawTitle', { u: units }), intro: h('p', { class: 'muted' }, t('proxy.withdrawIntro')), fields: [reasonF],
      submit: t('proxy.withdraw'), testid: 'proxy-withdraw-save',
      check: () => reasonOf(reason),
      send: (body) => post(asmPath(ctx.cid, ctx.aid, `/proxies/${seg(p.voter)}:withdraw`), body),
      done: () => redraw(t('proxy.withdrawnDone', { u: units })),
    });
  };

  await draw();
}
