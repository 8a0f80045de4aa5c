// The console's shell: sign-in, the router, the header, the lists of
// communities and assemblies, and the signing-key page. The pages of one
// assembly live in dashboard.js, calls.js, record.js, proxies.js and
// committee.js.

import { clearToken, get, post, seg, setToken, token, whenUnauthenticated } from './api.js';
import { errorBox, errorText, field, fmtArea, fmtInt, fmtTime, h, loading, problemsBox, replace, stateBadge, uid } from './dom.js';
import { fromHex, toBase64 } from './ballot.js';
import { lang, setLang, t } from './i18n.js';
import { createKey, deleteKey, listKeys, shownTo, signerStatus, supported } from './keys.js';
import { allCommunities, can, enrolKinds, role, assemblyTabs } from './shell.js';
import { tokensPage } from './tokens.js';
import { dashboardPage } from './dashboard.js';
import { callsPage } from './calls.js';
import { recordPage } from './record.js';
import { committeePage } from './committee.js';
import { newAssemblyPage } from './agenda.js';
import { rollPage } from './roll.js';
import { proxiesPage } from './proxies.js';

const app = {
  me: null,
  cleanup: null,
};

const root = document.getElementById('app');

function parseRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  // An address that does not decode (a stray "%") is no page.
  const decode = (s) => { try { return decodeURIComponent(s); } catch { return null; } };
  const parts = path.split('/').filter(Boolean).map(decode);
  return { parts: parts.includes(null) ? ['?'] : parts, query: new URLSearchParams(qs || '') };
}

function header() {
  const me = app.me;
  const who = me ? h('div', { class: 'who' },
    h('span', { class: 'who-label' }, me.label || me.token_id),
    h('span', { class: 'muted' }, ` · ${t('role.' + role(me))} · ${me.community_id || t('who.all')}`),
    h('button', { type: 'button', class: 'link', onclick: signOut, 'data-testid': 'signout' }, t('signout'))) : null;
  const nav = me ? h('nav', { 'aria-label': t('app.short') },
    h('a', { href: '#/' }, t('nav.communities')),
    enrolKinds(me).length || can(me, 'approve') ? h('a', { href: '#/keys', 'data-testid': 'nav-keys' }, t('nav.keys')) : null,
    can(me, 'tokens') ? h('a', { href: '#/tokens', 'data-testid': 'nav-tokens' }, t('nav.tokens')) : null) : null;
  return h('header', { class: 'top' },
    h('a', { class: 'skip', href: '#main' }, t('skip')),
    h('a', { class: 'brand', href: '#/' }, t('app.title')),
    nav, who,
    h('button', {
      type: 'button', class: 'lang', lang: lang() === 'zh' ? 'en' : 'zh-CN', 'aria-label': t('lang.switchLabel'), 'data-testid': 'lang',
      onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); },
    }, t('lang.switch')));
}

function signOut() {
  clearToken();
  app.me = null;
  location.hash = '#/signin';
  render();
}

whenUnauthenticated(() => {
  clearToken();
  app.me = null;
  if (!location.hash.startsWith('#/signin')) {
    location.hash = '#/signin';
  }
});

// render draws the page of the current route.
async function render() {
  if (app.cleanup) {
    app.cleanup();
    app.cleanup = null;
  }
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  document.title = t('app.title');
  const { parts, query } = parseRoute();
  const rendered = location.hash;
  const main = h('main', { id: 'main', tabindex: '-1' });
  if (!token() || parts[0] === 'signin') {
    app.me = null;
    replace(root, header(), main);
    signInPage(main);
    return;
  }
  if (!app.me) {
    replace(root, header(), main);
    replace(main, loading());
    try {
      app.me = await get('/whoami');
    } catch (err) {
      replace(main, errorBox(err));
      return;
    }
  }
  replace(root, header(), main);
  // current tells a page that awaited something whether the user is still
  // on it: no newer render replaced its main, and the address has not
  // changed meanwhile (its hashchange may not be handled yet).
  const current = () => main.isConnected && location.hash === rendered;
  const ctx = {
    me: app.me, main, query, current,
    // A page the user already left (it registers after an await) is
    // cleaned up at once, and does not take the newer page's place.
    onLeave: (fn) => { if (current()) app.cleanup = fn; else fn(); },
  };
  try {
    if (parts.length === 0) await communitiesPage(ctx);
    else if (parts[0] === 'keys') await keysPage(ctx);
    else if (parts[0] === 'tokens' && parts.length === 1 && can(ctx.me, 'tokens')) await tokensPage(ctx);
    else if (parts[0] === 'c' && parts.length === 2) await communityPage(ctx, parts[1]);
    else if (parts[0] === 'c' && parts.length === 3 && parts[2] === 'roll') await rollPage({ ...ctx, cid: parts[1] });
    else if (parts[0] === 'c' && parts.length === 3 && parts[2] === 'new' && can(ctx.me, 'create')) await newAssemblyPage({ ...ctx, cid: parts[1] });
    else if (parts[0] === 'c' && parts[2] === 'a' && parts.length >= 4) {
      const page = { undefined: dashboardPage, calls: callsPage, record: recordPage, proxies: proxiesPage, committee: committeePage }[parts[4]];
      if (!page) replace(main, h('p', {}, t('notfound')));
      else await page({ ...ctx, cid: parts[1], aid: parts[3] });
    } else replace(main, h('p', {}, t('notfound')));
  } catch (err) {
    replace(main, errorBox(err));
  }
}

let lastHash = null;
window.addEventListener('hashchange', () => {
  render().then(() => {
    if (lastHash !== location.hash) document.getElementById('main')?.focus({ preventScroll: true });
    lastHash = location.hash;
  });
});

function signInPage(main) {
  const id = uid('token');
  const msg = h('div', { 'aria-live': 'polite' });
  const input = h('input', { id, type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, 'data-testid': 'token' });
  const form = h('form', {
    class: 'card narrow', 'data-testid': 'signin',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const secret = input.value.trim();
      if (!secret) return;
      setToken(secret);
      input.value = '';
      try {
        app.me = await get('/whoami');
        location.hash = '#/';
        render();
      } catch (err) {
        clearToken();
        replace(msg, h('p', { class: 'alert error', role: 'alert' }, err.status === 401 ? t('signin.bad') : errorText(err)));
      }
    },
  },
  h('h1', {}, t('signin.title')),
  h('p', {}, t('signin.intro')),
  h('label', { for: id }, t('signin.token')),
  input,
  h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
  msg,
  h('p', { class: 'muted small' }, t('signin.public')));
  replace(main, form);
  input.focus();
}

async function communitiesPage(ctx) {
  replace(ctx.main, loading());
  const list = await allCommunities();
  // The user may have gone elsewhere while the list loaded: leave them there.
  if (!ctx.current()) return;
  const creates = can(ctx.me, 'createCommunity');
  // One community: straight to it (but a street admin who adds
  // communities stays on the list).
  if (list.length === 1 && !ctx.query.get('all') && !creates) {
    location.replace('#/c/' + seg(list[0].community_id));
    return;
  }
  replace(ctx.main,
    h('h1', {}, t('communities.title')),
    creates ? newCommunity() : null,
    list.length === 0 ? h('p', {}, t('communities.none')) : h('ul', { class: 'cards' }, list.map((c) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: '#/c/' + seg(c.community_id) }, c.name || c.community_id)),
      h('p', { class: 'muted' }, [c.street_office, c.residents_committee, c.community_id].filter(Boolean).join(' · ')),
      communityFigures(c)))));
}

// newCommunity is a street admin's form that registers a community; its
// page follows, where its roster is imported.
function newCommunity() {
  const [name, nameF] = field(t('community.name'), { maxlength: 100, required: true, autocomplete: 'off', 'data-testid': 'community-name' }, t('community.nameHint'));
  const [id, idF] = field(t('community.id'), { maxlength: 40, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'data-testid': 'community-id' }, t('community.idHint'));
  const [street, streetF] = field(t('community.street'), { maxlength: 100, required: true, autocomplete: 'off', 'data-testid': 'community-street' }, t('community.streetHint'));
  const [rc, rcF] = field(t('community.rc'), { maxlength: 100, autocomplete: 'off', 'data-testid': 'community-rc' }, t('community.rcHint'));
  const oc = h('input', { id: uid('oc'), type: 'checkbox', 'data-testid': 'community-oc' });
  const msg = h('div', { 'aria-live': 'polite', 'data-testid': 'community-msg' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'community-save' }, t('community.save'));
  const problem = (text) => replace(msg, h('p', { class: 'alert error', role: 'alert' }, text));
  return h('details', { class: 'card', 'data-testid': 'new-community' },
    h('summary', {}, h('strong', {}, t('community.new'))),
    h('form', {
      novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        const body = { name: name.value.trim(), community_id: id.value.trim(), street_office: street.value.trim(), residents_committee: rc.value.trim(), has_owners_committee: oc.checked };
        if (!body.name) return problem(t('community.needName'));
        if (body.community_id && !/^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/.test(body.community_id)) return problem(t('community.badId'));
        if (!body.street_office) return problem(t('community.needStreet'));
        save.disabled = true;
        try {
          const c = await post('/communities', body);
          location.hash = '#/c/' + seg(c.community_id);
        } catch (err) {
          save.disabled = false;
          replace(msg, problemsBox(err));
        }
      },
    }, nameF, idF, streetF, rcF, h('div', { class: 'radio' }, oc, h('label', { for: oc.id }, t('community.oc'))), msg,
    h('div', { class: 'actions' }, save)));
}

function communityFigures(c) {
  const f = c.figures || {};
  return h('p', { class: 'figures' },
    t('community.units', { n: fmtInt(f.unit_count || 0) }), ' · ',
    t('community.area', { a: fmtArea(f.total_area_m2 || '0') }), ' · ',
    t('community.head', { n: fmtInt(f.total_head || 0) }));
}

async function communityPage(ctx, cid) {
  replace(ctx.main, loading());
  const [c, resp] = await Promise.all([get('/communities/' + seg(cid)), get('/communities/' + seg(cid) + '/assemblies')]);
  const list = resp.assemblies || [];
  const figures = communityFigures(c);
  replace(ctx.main,
    h('h1', {}, c.name || c.community_id),
    h('p', { class: 'muted' }, [c.street_office, c.residents_committee, c.community_id].filter(Boolean).join(' · ')),
    figures,
    h('p', {}, h('a', { href: `#/c/${seg(cid)}/roll`, 'data-testid': 'roll-link' }, t('roll.open'))),
    h('h2', {}, t('assemblies.title')),
    can(ctx.me, 'create') ? h('p', {}, h('a', { class: 'button primary', href: `#/c/${seg(cid)}/new`, 'data-testid': 'new-assembly-link' }, t('new.button'))) : null,
    list.length === 0 ? h('p', {}, t('assemblies.none')) : h('ul', { class: 'cards' }, list.map((a) => h('li', { class: 'card', 'data-assembly': a.assembly_id },
      h('h3', {}, h('a', { href: `#/c/${seg(cid)}/a/${seg(a.assembly_id)}` }, a.title || a.assembly_id), ' ', stateBadge(a.state)),
      h('p', { class: 'muted' }, a.assembly_id, ' · ', t('assembly.window', { from: fmtTime(a.opens_at), to: fmtTime(a.closes_at) })),
      assemblyTabs(ctx.me, cid, a, null)))),
    can(ctx.me, 'roll') ? rosterImport(cid, (f) => replace(figures, ...communityFigures({ figures: f }).childNodes)) : null,
    can(ctx.me, 'rollChanges') ? rollChanges(cid) : null);
}

// rollChanges lists the recorded changes of the roll, oldest first, a page
// at a time: areas corrected, units withdrawn or sold,
// owners' names or phone numbers corrected (names for staff only, numbers
// masked). Those who certify a result can see what changed, by whom and
// why.
function rollChanges(cid) {
  const list = h('ol', { class: 'changes', 'data-testid': 'roll-changes' });
  const more = h('div', {});
  const areas = (a) => (a && a.effective_area_m2 ? fmtArea(a.effective_area_m2) + ' m²' : '—');
  const detail = (c) => {
    switch (c.kind) {
      case 'ROLL_CHANGE_KIND_AREAS_CORRECTED': return `${c.unit_id} · ${areas(c.areas_before)} → ${areas(c.areas_after)}`;
      case 'ROLL_CHANGE_KIND_UNIT_WITHDRAWN': return `${c.unit_id} · ${areas(c.areas_before)}`;
      case 'ROLL_CHANGE_KIND_UNIT_TRANSFERRED': return `${c.unit_id} · ${t('changes.owners', { n: fmtInt((c.new_owner_ids || []).length) })}`;
      // Names for staff; for others, that the co-owners chose another.
      case 'ROLL_CHANGE_KIND_REPRESENTATIVE_CHANGED': return `${c.unit_id} · ${c.name_after ? `${c.name_before || '—'} → ${c.name_after}` : t('changes.coOwnersChose')}`;
      case 'ROLL_CHANGE_KIND_OWNER_CORRECTED': return [
        // Whose: the name for staff, the owner id for others.
        c.name_changed ? (c.name_before ? `${c.name_before} → ${c.name_after}` : `${c.owner_id} · ${t('changes.nameChanged')}`) : (c.name_after || c.owner_id),
        c.phone_changed ? `${c.masked_phone_before || t('calls.noPhone')} → ${c.masked_phone_after || t('calls.noPhone')}` : '',
      ].filter(Boolean).join(' · ');
      default: return '';
    }
  };
  const load = async (token) => {
    replace(more);
    try {
      const r = await get(`/communities/${seg(cid)}/rollChanges?page_size=100${token ? '&page_token=' + encodeURIComponent(token) : ''}`);
      for (const c of r.changes || []) {
        list.append(h('li', { 'data-kind': c.kind },
          h('strong', {}, t('changes.' + String(c.kind).replace('ROLL_CHANGE_KIND_', ''))), ' ', detail(c),
          h('div', { class: 'muted small' }, `${fmtTime(c.change_time)} · ${c.token_label || c.token_id}${c.reason ? ' · ' + c.reason : ''}`)));
      }
      if (!list.firstChild) replace(more, h('p', { class: 'muted' }, t('changes.none')));
      else if (r.next_page_token) replace(more, h('button', { type: 'button', class: 'link', onclick: () => load(r.next_page_token) }, t('changes.more')));
    } catch (e) {
      replace(more, errorBox(e));
    }
  };
  load('');
  return h('section', { class: 'roster', 'data-testid': 'changes' }, h('h2', {}, t('changes.title')), h('p', { class: 'muted' }, t('changes.intro')), list, more);
}

// MAX_ROSTER_BYTES is the largest roster file sent: as base64 in JSON it
// stays within the server's default request size (16 MiB).
const MAX_ROSTER_BYTES = 12 << 20;

// rosterImport is the form that sends a roster file (an Excel workbook or
// a CSV file) to the server, which reads it by the rules of `ownervote roll
// import`: checked alone, or imported all or nothing, every problem told by
// its row and column. figuresChanged is given the roll's figures after an
// import.
function rosterImport(cid, figuresChanged) {
  const fid = uid('roster');
  const file = h('input', { id: fid, type: 'file', accept: '.xlsx,.csv', 'data-testid': 'roster-file' });
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'roster-result' });
  const send = async (checkOnly, button) => {
    const f = file.files[0];
    if (!f || f.size > MAX_ROSTER_BYTES) {
      replace(out, h('p', { class: 'alert error', role: 'alert' }, t(f ? 'roster.tooLarge' : 'roster.choose')));
      return;
    }
    button.disabled = true;
    try {
      const content = toBase64(new Uint8Array(await f.arrayBuffer()));
      const r = await post(`/communities/${seg(cid)}/units:importFile`, { file_name: f.name, content, check_only: checkOnly });
      replace(out, h('p', { class: 'alert ok', role: 'status' }, t(r.imported ? 'roster.imported' : 'roster.checked', { n: fmtInt(r.units || 0) })));
      if (r.imported) figuresChanged(r.figures || {});
    } catch (e) {
      replace(out, problemsBox(e));
    } finally {
      button.disabled = false;
    }
  };
  const check = h('button', { type: 'button', 'data-testid': 'roster-check', onclick: () => send(true, check) }, t('roster.check'));
  const load = h('button', { type: 'button', class: 'primary', 'data-testid': 'roster-import', onclick: () => send(false, load) }, t('roster.import'));
  return h('section', { class: 'roster', 'data-testid': 'roster' },
    h('h2', {}, t('roster.title')),
    h('p', { class: 'muted' }, t('roster.intro')),
    h('label', { for: fid }, t('roster.file')), file,
    h('div', { class: 'actions' }, check, load), out);
}

async function keysPage(ctx) {
  const { me, main } = ctx;
  replace(main, loading());
  const [signersResp, keys, comms] = await Promise.all([get('/signers'), supported() ? listKeys() : [], allCommunities()]);
  const signers = signersResp.signers || [];
  const kinds = enrolKinds(me);
  const msg = h('div', { 'aria-live': 'polite' });

  // The keys of the person signed in; those of others who use this browser
  // stay theirs, neither listed nor usable here.
  const own = keys.filter((k) => shownTo(signers, k, me));
  const others = keys.length - own.length;
  const mine = h('div', {}, own.length === 0 ? h('p', {}, t('keys.none')) : h('ul', { class: 'cards' }, own.map((k) => {
    const st = signerStatus(signers, k.keyId);
    return h('li', { class: 'card', 'data-key': k.keyId, 'data-status': st },
      h('p', {}, h('strong', {}, k.name), ` (${k.signerId}) · `, t('kind.' + k.kind)),
      h('p', {}, h('span', { class: `badge key-${st.toLowerCase()}` }, t('keys.status.' + st)), ' ', k.communityId || t('who.all')),
      h('p', { class: 'mono small' }, t('keys.keyId'), ' ', k.keyId),
      h('button', { type: 'button', class: 'link', 'data-forget': k.keyId, onclick: () => forget(k, st) }, t('keys.forget')));
  })), others > 0 ? h('p', { class: 'muted small', 'data-testid': 'others-keys' }, t('keys.others', { n: others })) : null);

  // forget deletes a key from this browser once the person confirms it: a
  // key cannot be exported, and an active one is then lost for good (a
  // committee member's, with the lost-key procedure to follow). For an
  // active key, the last characters of its id must be typed.
  const forget = (k, st) => {
    const dialog = h('dialog', { class: 'dialog', 'data-testid': 'forget-dialog' });
    const tail = k.keyId.slice(-6);
    const iid = uid('confirm');
    const active = st === 'ACTIVE';
    const typed = active ? h('input', { id: iid, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'forget-confirm' }) : null;
    const ok = h('button', { type: 'submit', disabled: active, 'data-testid': 'forget-ok' }, t('keys.forgetOk'));
    if (typed) typed.addEventListener('input', () => { ok.disabled = typed.value.trim() !== tail; });
    const done = () => dialog.close();
    dialog.addEventListener('close', () => dialog.remove()); // by Escape too
    replace(dialog, h('form', {
      method: 'dialog',
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (typed && typed.value.trim() !== tail) return;
        done();
        await deleteKey(k.keyId);
        render();
      },
    },
    h('h2', {}, t('keys.forgetTitle')),
    h('p', {}, t('keys.forgetWhat', { id: k.keyId })),
    active ? h('p', { class: 'warn' }, t(k.kind === 'COMMITTEE' ? 'keys.forgetCommittee' : 'keys.forgetActive')) : null,
    typed ? [h('label', { for: iid }, t('keys.forgetType', { tail })), typed] : null,
    h('div', { class: 'actions' }, ok, h('button', { type: 'button', 'data-testid': 'forget-cancel', onclick: done }, t('calls.cancel')))));
    main.append(dialog);
    dialog.showModal();
  };

  let enrol = null;
  if (!supported()) {
    enrol = h('p', { class: 'alert error' }, t('keys.unsupported'));
  } else if (kinds.length === 0) {
    enrol = h('p', {}, t('keys.cannotEnrol'));
  } else {
    const ids = { kind: uid('kind'), sid: uid('sid'), name: uid('name'), comm: uid('comm') };
    const communities = comms;
    const kindSel = h('select', { id: ids.kind, name: 'kind', 'data-testid': 'enrol-kind' }, kinds.map((k) => h('option', { value: k }, t('kind.' + k))));
    const allOpt = me.community_id ? null : h('option', { value: '' }, t('who.all'));
    const commSel = h('select', { id: ids.comm, name: 'community', 'data-testid': 'enrol-community' },
      allOpt,
      communities.map((c) => h('option', { value: c.community_id, selected: c.community_id === me.community_id }, c.name || c.community_id)));
    if (!me.community_id && communities.length === 1) commSel.value = communities[0].community_id;
    // A committee member belongs to one community: "all" is for staff.
    const kindChanged = () => {
      if (!allOpt) return;
      allOpt.disabled = kindSel.value === 'COMMITTEE';
      if (allOpt.disabled && commSel.value === '' && communities.length > 0) commSel.value = communities[0].community_id;
    };
    kindSel.addEventListener('change', kindChanged);
    kindChanged();
    const sid = h('input', { id: ids.sid, name: 'signer_id', required: true, pattern: '[A-Za-z0-9._:\\-]{1,64}', autocomplete: 'off', 'data-testid': 'enrol-id' });
    // A sign-in issued to one person enrols keys under their id only.
    if (me.signer_id) Object.assign(sid, { value: me.signer_id, readOnly: true });
    const name = h('input', { id: ids.name, name: 'name', required: true, maxlength: 100, autocomplete: 'name', 'data-testid': 'enrol-name' });
    enrol = h('form', {
      class: 'card', 'data-testid': 'enrol',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const btn = ev.target.querySelector('button[type=submit]');
        btn.disabled = true;
        try {
          const rec = await createKey({ kind: kindSel.value, communityId: commSel.value, signerId: sid.value.trim(), name: name.value.trim(), tokenId: me.token_id });
          try {
            await post('/signers:enrol', {
              kind: rec.kind, signer_id: rec.signerId, name: rec.name, community_id: rec.communityId,
              public_key: toBase64(fromHex(rec.publicKey)),
            });
          } catch (err) {
            await deleteKey(rec.keyId);
            throw err;
          }
          await render();
          replace(document.querySelector('[data-testid=keys-msg]'), h('p', { class: 'alert ok', role: 'status' }, t('keys.enrolled')));
        } catch (err) {
          btn.disabled = false;
          replace(msg, errorBox(err));
        }
      },
    },
    h('label', { for: ids.kind }, t('keys.kind')), kindSel,
    h('label', { for: ids.comm }, t('keys.community')), commSel,
    h('label', { for: ids.sid }, t('keys.signerId')), sid,
    h('label', { for: ids.name }, t('keys.name')), name,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('keys.enrol'))), msg);
  }

  let approvals = null;
  if (can(me, 'approve')) {
    const pending = signers.filter((s) => s.pending && !s.revoke_time);
    const tokens = pending.length ? ((await get('/tokens').catch(() => ({}))).tokens || []) : [];
    const labelOf = (id) => (tokens.find((x) => x.token_id === id) || {}).label || id;
    approvals = [h('h2', {}, t('keys.approvals')), pending.length === 0 ? h('p', {}, t('keys.noApprovals')) :
      h('ul', { class: 'cards', 'data-testid': 'approvals' }, pending.map((s) => h('li', { class: 'card', 'data-key': s.key_id },
        h('p', {}, h('strong', {}, s.name), ` (${s.signer_id}) · `, t('kind.' + s.kind), ' · ', s.community_id || t('who.all')),
        h('p', { class: 'small' }, t('keys.enrolledBy', { who: labelOf(s.registered_by) }), ' · ', fmtTime(s.create_time)),
        h('p', { class: 'mono small' }, t('keys.keyId'), ' ', s.key_id),
        h('p', { class: 'muted small' }, t('keys.checkId')),
        h('button', {
          type: 'button', class: 'primary', 'data-approve': s.key_id,
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              await post(`/signers/${seg(s.key_id)}:approve`);
              await render();
              replace(document.querySelector('[data-testid=keys-msg]'), h('p', { class: 'alert ok', role: 'status' }, t('keys.approved')));
            } catch (err) {
              ev.target.disabled = false;
              ev.target.after(errorBox(err));
            }
          },
        }, t('keys.approve')))))];
    // Active keys, which a street admin revokes: a lost or stolen key, a
    // member who left. Revocation cannot be undone, and its reason is read
    // by every role, so it is confirmed with the key id's end typed.
    const active = signers.filter((s) => !s.pending && !s.revoke_time);
    approvals.push(h('h2', {}, t('keys.active')), active.length === 0 ? h('p', {}, t('keys.noActive')) :
      h('ul', { class: 'cards', 'data-testid': 'active-keys' }, active.map((s) => h('li', { class: 'card', 'data-active': s.key_id },
        h('p', {}, h('strong', {}, s.name), ` (${s.signer_id}) · `, t('kind.' + s.kind), ' · ', s.community_id || t('who.all')),
        h('p', { class: 'mono small' }, t('keys.keyId'), ' ', s.key_id),
        h('button', { type: 'button', 'data-revoke': s.key_id, onclick: () => revoke(s) }, t('keys.revoke'))))));
  }

  // revoke asks for the reason and the key id's end, then revokes s.
  const revoke = (s) => {
    const dialog = h('dialog', { class: 'dialog', 'data-testid': 'revoke-dialog' });
    const tail = s.key_id.slice(-6);
    const ids = { reason: uid('reason'), typed: uid('typed') };
    const reason = h('input', { id: ids.reason, required: true, maxlength: 200, 'data-testid': 'revoke-reason' });
    const typed = h('input', { id: ids.typed, required: true, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'revoke-confirm' });
    const ok = h('button', { type: 'submit', disabled: true, 'data-testid': 'revoke-ok' }, t('keys.revoke'));
    const check = () => { ok.disabled = typed.value.trim() !== tail || reason.value.trim() === ''; };
    reason.addEventListener('input', check);
    typed.addEventListener('input', check);
    const err = h('div', { 'aria-live': 'polite' });
    const done = () => dialog.close();
    let sending = false;
    // Escape closes a dialog too: it goes then, and not while the
    // revocation is being sent.
    dialog.addEventListener('cancel', (ev) => { if (sending) ev.preventDefault(); });
    dialog.addEventListener('close', () => dialog.remove());
    replace(dialog, h('form', {
      method: 'dialog',
      onsubmit: async (ev) => {
        ev.preventDefault();
        ok.disabled = true;
        sending = true;
        try {
          await post(`/signers/${seg(s.key_id)}:revoke`, { reason: reason.value.trim() });
          sending = false;
          done();
          await render();
          replace(document.querySelector('[data-testid=keys-msg]'), h('p', { class: 'alert ok', role: 'status', 'data-testid': 'revoked-ok' }, t('keys.revokedOk')));
        } catch (e) {
          sending = false;
          check();
          replace(err, errorBox(e));
        }
      },
    },
    h('h2', {}, t('keys.revokeTitle')),
    h('p', {}, t('keys.revokeWhat', { id: s.key_id, who: `${s.name} (${s.signer_id})` })),
    s.kind === 'COMMITTEE' ? h('p', { class: 'warn' }, t('keys.revokeCommittee')) : null,
    s.kind === 'PLATFORM' ? h('p', { class: 'warn', 'data-testid': 'revoke-platform' }, t('keys.revokePlatform')) : null,
    h('label', { for: ids.reason }, t('keys.revokeReason')), reason,
    h('label', { for: ids.typed }, t('keys.forgetType', { tail })), typed,
    err,
    h('div', { class: 'actions' }, ok, h('button', { type: 'button', 'data-testid': 'revoke-cancel', onclick: done }, t('calls.cancel')))));
    main.append(dialog);
    dialog.showModal();
  };

  replace(main, h('h1', {}, t('keys.title')), h('div', { 'data-testid': 'keys-msg', 'aria-live': 'polite' }), h('p', {}, t('keys.intro')),
    approvals, approvals ? h('h2', {}, t('keys.mine')) : null, mine, kinds.length ? h('h2', {}, t('keys.enrol')) : null, enrol);
}

setLang(lang());
render();
