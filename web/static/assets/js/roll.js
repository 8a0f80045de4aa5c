// The roll page: a community's units with their areas and owners, a page
// at a time, and for staff the corrections of the roll: a unit's areas, a
// unit imported by mistake withdrawn, a sale (which also goes into the
// assemblies under way that have the unit). Every change
// asks for a reason (a sale, the transfer registration's SHA-256) and is
// recorded (名册变更记录 on the community page).

import { get, post, seg } from './api.js';
import { publicKey, toBase64 } from './ballot.js';
import { docField, docProblem, errorBox, field, fmtArea, fmtInt, fmtTime, formDialog, h, loading, reasonOf, replace, uid } from './dom.js';
import { t } from './i18n.js';
import { can } from './shell.js';

export async function rollPage(ctx) {
  const { cid } = ctx;
  replace(ctx.main, loading());
  const c = await get('/communities/' + seg(cid));
  const staff = can(ctx.me, 'roll');
  const list = h('ol', { class: 'cards units', 'data-testid': 'units' });
  const more = h('div', {});
  const msg = h('div', { 'aria-live': 'polite', tabindex: '-1' });
  const dialog = h('dialog', { class: 'dialog' });
  // What was typed (a buyer's identity number) does not stay in the page.
  dialog.addEventListener('close', () => replace(dialog));
  // The units of one building (the part of the unit id before its first
  // "-"), or all; those whose id, or (for staff) an owner's name, holds
  // the words searched.
  let building = ctx.query.get('building') || '';
  let query = ctx.query.get('q') || '';
  const bid = uid('building');
  const qid = uid('q');
  const buildingInput = h('input', { id: bid, value: building, maxlength: 40, size: 6, 'data-testid': 'roll-building' });
  const queryInput = h('input', { id: qid, type: 'search', value: query, maxlength: 50, size: 14, 'data-testid': 'roll-query' });
  const filter = h('form', {
    class: 'filter',
    onsubmit: (ev) => {
      ev.preventDefault();
      building = buildingInput.value.trim();
      query = queryInput.value.trim();
      restart();
    },
  }, h('label', { for: bid }, t('calls.building')), buildingInput,
  h('label', { for: qid }, t(staff ? 'roll.queryStaff' : 'roll.query')), queryInput, h('button', { type: 'submit' }, t('roll.show')));
  replace(ctx.main,
    h('p', {}, h('a', { href: '#/c/' + seg(cid) }, c.name || cid)),
    h('h1', {}, t('roll.title')), h('p', { class: 'muted' }, t(staff ? 'roll.introStaff' : 'roll.intro')),
    filter, msg, list, more, dialog);

  const kindText = (k) => t('unitKind.' + String(k || 'UNIT_KIND_PERSON').replace('UNIT_KIND_', ''));
  const card = (u) => h('li', { class: 'card', 'data-unit': u.unit_id },
    h('p', {}, h('strong', {}, u.unit_id), ' · ', fmtArea(u.effective_area_m2), ' m² · ', kindText(u.kind)),
    h('p', { class: 'muted small' }, [['roll.registered', u.registered_area_m2], ['roll.surveyed', u.surveyed_area_m2], ['roll.contract', u.contract_area_m2]]
      .filter((x) => x[1]).map((x) => `${t(x[0])} ${fmtArea(x[1])}`).join(' · ')),
    (u.owners || []).length ? h('p', { class: 'small' }, u.owners.map((o) =>
      [o.name || o.owner_id, o.masked_phone ? ' ' + o.masked_phone : '', o.representative ? ' (' + t('roll.representative') + ')' : ''].join('')).join('、')) : null,
    staff ? h('div', { class: 'actions' },
      [['data-correct-areas', 'roll.correctAreas', correctAreas], ['data-transfer', 'roll.transfer', transfer],
        (u.owners || []).length > 1 ? ['data-representative', 'roll.changeRepresentative', representative] : null,
        u.voter_owner_id ? ['data-owner-keys', 'roll.ownerKeys', ownerKeys] : null,
        ['data-withdraw', 'roll.withdraw', withdraw]].filter(Boolean).map(([attr, label, open]) =>
        h('button', { type: 'button', [attr]: u.unit_id, 'aria-label': `${t(label)} ${u.unit_id}`, onclick: () => open(u) }, t(label)))) : null);

  let shown = 0;
  let generation = 0; // a page still loading when the list starts again is dropped
  const load = async (token) => {
    const g = generation;
    const retry = more.firstChild ? [...more.childNodes] : [];
    replace(more, loading());
    let r;
    try {
      r = await get(`/communities/${seg(cid)}/units?page_size=100${building ? '&building=' + encodeURIComponent(building) : ''}${query ? '&query=' + encodeURIComponent(query) : ''}${token ? '&page_token=' + encodeURIComponent(token) : ''}`);
    } catch (e) {
      if (g === generation) replace(more, errorBox(e), ...retry);
      return;
    }
    if (g !== generation) return;
    const cards = (r.units || []).map(card);
    list.append(...cards);
    shown += cards.length;
    replace(more, h('p', { class: 'muted', 'data-testid': 'unit-count' }, t('roll.count', { n: fmtInt(shown), total: fmtInt(r.total_size || 0) })),
      r.next_page_token ? h('button', { type: 'button', class: 'link', onclick: () => load(r.next_page_token) }, t('changes.more')) : null);
    if (token && cards.length) cards[0].querySelector('button, strong').focus?.();
  };
  // After a change, the list from the start again (the unit's card, the
  // total).
  const restart = () => {
    generation++;
    shown = 0;
    replace(list);
    replace(more);
    return load('');
  };
  const reload = async (done) => {
    replace(msg, h('p', { class: 'alert ok', role: 'status' }, done));
    msg.focus();
    await restart();
  };

  // form opens the dialog with fields and sends what body() gives to path
  // (formDialog); the list starts again with done's message.
  const form = (title, intro, fields, path, body, done) => formDialog(dialog, {
    title, intro: h('p', { class: 'muted' }, intro), fields, submit: t('roll.save'), testid: 'roll-save',
    check: body, send: (b) => post(path, b), done: (r) => reload(done(r)),
  });
  const hex = (input) => input.value.trim().toLowerCase();

  const correctAreas = (u) => {
    const [reg, regF] = field(t('roll.registered'), { value: u.registered_area_m2 || '', inputmode: 'decimal', 'data-testid': 'area-registered' });
    const [sur, surF] = field(t('roll.surveyed'), { value: u.surveyed_area_m2 || '', inputmode: 'decimal', 'data-testid': 'area-surveyed' });
    const [con, conF] = field(t('roll.contract'), { value: u.contract_area_m2 || '', inputmode: 'decimal', 'data-testid': 'area-contract' });
    const [doc, docF] = docField(t('roll.document'), {});
    const [reason, reasonF] = field(t('calls.reason'), { maxlength: 200, required: true, 'data-testid': 'roll-reason' });
    form(t('roll.correctAreasTitle', { u: u.unit_id }), t('roll.correctAreasIntro'), [regF, surF, conF, reasonF, docF],
      `/communities/${seg(cid)}/units/${seg(u.unit_id)}:correctAreas`, () => {
        const r = reasonOf(reason);
        if (typeof r === 'string') return r;
        return docProblem(doc, false) || { ...r, registered_area_m2: reg.value.trim(), surveyed_area_m2: sur.value.trim(), contract_area_m2: con.value.trim(), document_sha256: hex(doc) };
      }, (r) => t('roll.areasCorrected', { u: u.unit_id, a: fmtArea(r.change.areas_after.effective_area_m2) }));
  };

  const withdraw = (u) => {
    const [reason, reasonF] = field(t('calls.reason'), { maxlength: 200, required: true, 'data-testid': 'roll-reason' });
    form(t('roll.withdrawTitle', { u: u.unit_id }), t('roll.withdrawIntro'), [reasonF],
      `/communities/${seg(cid)}/units/${seg(u.unit_id)}:withdraw`, () => reasonOf(reason), () => t('roll.withdrawn', { u: u.unit_id }));
  };

  // representative: the co-owners of a unit designate another of them to
  // vote for it.
  const representative = (u) => {
    const group = uid('rep');
    const choices = u.owners.map((o) => {
      const id = uid('o');
      return [o, h('div', { class: 'radio' },
        h('input', { id, type: 'radio', name: group, value: o.owner_id, checked: o.representative, 'data-testid': 'co-owner' }),
        h('label', { for: id }, (o.name || o.owner_id) + (o.representative ? ` (${t('roll.representativeNow')})` : '')))];
    });
    const [reason, reasonF] = field(t('calls.reason'), { maxlength: 200, required: true, 'data-testid': 'roll-reason' });
    const [doc, docF] = docField(t('roll.designation'), { 'data-testid': 'designation-doc' });
    form(t('roll.representativeTitle', { u: u.unit_id }), t('roll.representativeIntro'),
      [h('fieldset', {}, h('legend', {}, t('roll.coOwners')), choices.map((c) => c[1])), reasonF, docF],
      `/communities/${seg(cid)}/units/${seg(u.unit_id)}:setRepresentative`, () => {
        const chosen = choices.find((c) => c[1].querySelector('input').checked);
        if (!chosen || chosen[0].representative) return t('roll.chooseRepresentative');
        const r = reasonOf(reason);
        if (typeof r === 'string') return r;
        return docProblem(doc, true) || { ...r, owner_id: chosen[0].owner_id, document_sha256: hex(doc) };
      }, () => t('roll.representativeChanged', { u: u.unit_id }));
  };

  // ownerKeys shows the keys the unit's voter signs online ballots with,
  // and registers one, replaces the one in force or revokes it: a key the
  // owner made on their own device, whose public half staff register after
  // checking who they are.
  const ownerKeys = async (u) => {
    const owner = u.voter_owner_id;
    const who = (u.owners || []).find((o) => o.owner_id === owner);
    const path = `/communities/${seg(cid)}/owners/${seg(owner)}/keys`;
    let keys;
    try {
      keys = (await get(path)).keys || [];
    } catch (e) {
      replace(msg, errorBox(e));
      return;
    }
    // (The user may have left the page meanwhile, or opened it twice.)
    if (!dialog.isConnected || dialog.open) return;
    // Keys in force (the server takes more than one: a second device):
    // each may be replaced or revoked, or one more registered.
    const active = keys.filter((k) => k.status === 'KEY_STATUS_ACTIVE');
    const list = keys.length === 0 ? h('p', { class: 'muted' }, t('ownerKeys.none')) : h('ul', { class: 'small', 'data-testid': 'owner-keys' }, keys.map((k) => h('li', { 'data-key': k.key_id },
      h('span', { class: 'mono' }, k.key_id), ' · ',
      h('span', { class: `badge key-${k.status === 'KEY_STATUS_ACTIVE' ? 'active' : 'revoked'}` }, t(k.status === 'KEY_STATUS_ACTIVE' ? 'ownerKeys.active' : k.replaced_by ? 'ownerKeys.replaced' : 'ownerKeys.revoked')),
      ' · ', t('ownerKeys.registered', { t: fmtTime(k.create_time), who: k.registered_by || '—' }),
      k.revoke_time ? ` · ${t('ownerKeys.revokedWhy', { t: fmtTime(k.revoke_time), who: k.revoked_by || '—', why: k.replaced_by ? t('ownerKeys.rotated') : k.revoke_reason || '' })}` : '')));
    const [key, keyF] = field(t(active.length ? 'ownerKeys.newKey' : 'ownerKeys.key'), { maxlength: 100, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'data-testid': 'owner-key' }, t('ownerKeys.keyHint'));
    const [reason, reasonF] = field(t('ownerKeys.reason'), { maxlength: 200, autocomplete: 'off', 'data-testid': 'owner-key-reason' }, t('ownerKeys.reasonHint'));
    const group = uid('act');
    const choice = (value, label, checked) => {
      const id = uid('a');
      return h('div', { class: 'radio' }, h('input', { id, type: 'radio', name: group, value, checked, 'data-action': value }), h('label', { for: id }, label));
    };
    const short = (k) => k.key_id.slice(0, 12) + '…';
    const actions = active.length ? h('fieldset', {}, h('legend', {}, t('ownerKeys.what')),
      active.flatMap((k, i) => [choice('rotate:' + k.key_id, t('ownerKeys.rotate', { id: short(k) }), i === 0),
        choice('revoke:' + k.key_id, t('ownerKeys.revoke', { id: short(k) }), false)]),
      choice('register', t('ownerKeys.another'), false)) : null;
    const chosen = () => (actions ? actions.querySelector('input:checked').value : 'register');
    const keyBox = h('div', {}, keyF);
    const reasonBox = h('div', { hidden: true }, reasonF);
    actions?.addEventListener('change', () => {
      keyBox.hidden = chosen().startsWith('revoke:');
      reasonBox.hidden = !keyBox.hidden;
    });
    formDialog(dialog, {
      title: t('ownerKeys.title', { u: u.unit_id, name: (who && who.name) || owner }),
      intro: [h('p', { class: 'muted' }, t('ownerKeys.intro')), list],
      fields: [actions, keyBox, reasonBox],
      submit: t('roll.save'), testid: 'owner-key-save',
      check: () => {
        const [what, id] = chosen().split(':');
        if (what === 'revoke') {
          const r = reasonOf(reason);
          return typeof r === 'string' ? r : { path: `${path}/${seg(id)}:revoke`, body: r };
        }
        const pub = publicKey(key.value);
        if (!pub) return t('ownerKeys.badKey');
        return what === 'rotate' ? { path: `${path}/${seg(id)}:rotate`, body: { new_public_key: toBase64(pub) } }
          : { path, body: { public_key: toBase64(pub) } };
      },
      send: (b) => post(b.path, b.body),
      done: (k) => reload(t(k.status === 'KEY_STATUS_ACTIVE' ? 'ownerKeys.done' : 'ownerKeys.revokedDone', { u: u.unit_id, name: (who && who.name) || owner, id: k.key_id })),
    });
  };

  const transfer = (u) => {
    // One row per new owner; with several, one is their representative.
    const owners = h('div', {});
    const rows = [];
    const group = uid('rep');
    const addOwner = () => {
      const n = rows.length + 1;
      const [name, nameF] = field(t('roll.ownerName', { n }), { maxlength: 50, required: true, autocomplete: 'off', 'data-testid': 'buyer-name' });
      const [idn, idnF] = field(t('roll.ownerID', { n }), { maxlength: 30, required: true, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'buyer-id' });
      const [phone, phoneF] = field(t('roll.ownerPhone', { n }), { type: 'tel', maxlength: 20, autocomplete: 'off' });
      const rid = uid('r');
      const rep = h('input', { id: rid, type: 'radio', name: group, checked: n === 1, 'data-testid': 'buyer-rep' });
      rows.push({ name, idn, phone, rep });
      owners.append(h('fieldset', {}, h('legend', {}, t('roll.owner', { n })), nameF, idnF, phoneF,
        h('div', { class: 'radio' }, rep, h('label', { for: rid }, t('roll.representative')))));
    };
    addOwner();
    const add = h('button', { type: 'button', class: 'link', 'data-testid': 'add-owner', onclick: addOwner }, t('roll.addOwner'));
    const [doc, docF] = docField(t('roll.transferDocument'), { required: true, 'data-testid': 'transfer-doc' });
    form(t('roll.transferTitle', { u: u.unit_id }), t('roll.transferIntro'), [owners, add, docF],
      `/communities/${seg(cid)}/units/${seg(u.unit_id)}:transfer`, () => {
        if (rows.some((r) => !r.name.value.trim() || !r.idn.value.trim())) return t('roll.ownerMissing');
        return docProblem(doc, true) || {
          new_owners: rows.map((r) => ({ name: r.name.value.trim(), id_number: r.idn.value.trim(), phone: r.phone.value.trim(), representative: rows.length > 1 && r.rep.checked })),
          document_sha256: hex(doc),
        };
      }, (r) => [t('roll.transferred', { u: u.unit_id }),
        // Its effect in each assembly under way that has the unit.
        ...(r.amendments || []).map((am) => ' ' + t(am.previous_voter === am.new_voter ? 'roll.saleSame'
          : am.effect === 'BALLOT_KEPT' ? 'roll.saleKept' : 'roll.saleVoter', { a: am.assembly_id }))].join(''));
  };

  await load('');
}
