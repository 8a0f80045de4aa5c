// Sign-ins (登录凭证), for a street admin of every community: issue one to a
// person (their role, community, name as the console shows it, and their
// staff or committee member id), shown once and then gone from the page;
// list them; revoke a lost one.

import { get, post, seg, serverNow } from './api.js';
import { alertBox, confirmField, DAY_MS, errorBox, field, fmtTime, formDialog, h, loading, problemsBox, replace, uid } from './dom.js';
import { t } from './i18n.js';
import { allCommunities } from './shell.js';

// The roles a sign-in is issued for, those acting in one community first.
const ROLES = ['COMMUNITY_STAFF', 'COMMITTEE_MEMBER', 'STREET_ADMIN', 'AUDITOR', 'PLATFORM'];
// Roles that act in one community only.
const ONE_COMMUNITY = ['COMMUNITY_STAFF', 'COMMITTEE_MEMBER'];
// Roles whose sign-in belongs to a person, who enrols signing keys through it.
const PERSONAL = ['COMMUNITY_STAFF', 'COMMITTEE_MEMBER', 'STREET_ADMIN'];

export async function tokensPage(ctx) {
  replace(ctx.main, loading());
  const comms = await allCommunities();
  if (!ctx.current()) return;
  const names = Object.fromEntries(comms.map((c) => [c.community_id, c.name || c.community_id]));
  const msg = h('div', { 'aria-live': 'polite', tabindex: '-1', 'data-testid': 'tokens-msg' });
  const list = h('div', {});
  const dialog = h('dialog', { class: 'dialog', 'data-testid': 'token-dialog' });
  // Nothing typed or shown (a secret) stays in the page once it closes.
  dialog.addEventListener('close', () => replace(dialog));
  let showAll = false;

  const status = (tok) => {
    if (tok.revoke_time) return 'revoked';
    if (tok.expire_time && new Date(tok.expire_time) <= serverNow()) return 'expired';
    return 'active';
  };
  const draw = async () => {
    const r = await get('/tokens');
    const all = (r.tokens || []).slice().reverse(); // newest first
    const shown = showAll ? all : all.filter((x) => status(x) === 'active');
    const toggle = h('input', { id: uid('all'), type: 'checkbox', checked: showAll, 'data-testid': 'tokens-all' });
    // (The list is drawn again: the box keeps the focus.)
    toggle.addEventListener('change', async () => {
      showAll = toggle.checked;
      await redraw();
      list.querySelector('[data-testid=tokens-all]')?.focus();
    });
    replace(list,
      h('div', { class: 'radio' }, toggle, h('label', { for: toggle.id }, t('tokens.showAll', { n: all.length - all.filter((x) => status(x) === 'active').length }))),
      shown.length === 0 ? h('p', {}, t(showAll ? 'tokens.noneAtAll' : 'tokens.none')) : h('table', { class: 'tokens', 'data-testid': 'tokens' },
        h('thead', {}, h('tr', {}, ['tokens.holder', 'tokens.role', 'tokens.community', 'tokens.signerIdCol', 'tokens.issued', 'tokens.expires', 'tokens.status', 'tokens.action'].map((k) =>
          h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, shown.map((tok) => {
          const st = status(tok);
          const mine = tok.token_id === ctx.me.token_id;
          // (Each cell says what it is, for small screens without the
          // header row.)
          const cell = (k, attrs, ...c) => h('td', { 'data-label': t(k), ...attrs }, ...c);
          return h('tr', { 'data-token': tok.token_id, 'data-status': st },
            cell('tokens.holder', {}, tok.label),
            cell('tokens.role', {}, t('role.' + String(tok.role).replace('ROLE_', ''))),
            cell('tokens.community', {}, tok.community_id ? names[tok.community_id] || tok.community_id : t('who.all')),
            cell('tokens.signerIdCol', { class: 'mono' }, tok.signer_id || '—'),
            cell('tokens.issued', {}, fmtTime(tok.create_time)),
            cell('tokens.expires', {}, tok.expire_time ? fmtTime(tok.expire_time) : t('tokens.noEnd')),
            cell('tokens.status', {}, h('span', { class: `badge key-${st === 'active' ? 'active' : 'revoked'}` }, t('tokens.' + st))),
            h('td', {}, st !== 'revoked' && !mine ? h('button', {
              type: 'button', 'data-revoke-token': tok.token_id, 'aria-label': `${t('tokens.revoke')} ${tok.label}`, onclick: () => revoke(tok),
            }, t('tokens.revoke')) : mine ? h('span', { class: 'muted small', 'data-testid': 'token-yours' }, t('tokens.yours')) : null));
        }))));
  };
  const redraw = async () => {
    try {
      await draw();
    } catch (err) {
      replace(list, errorBox(err));
    }
  };
  const said = (text) => {
    const p = h('p', { class: 'alert ok', role: 'status', tabindex: '-1' }, text);
    replace(msg, p);
    p.focus();
  };

  // The form that issues a sign-in.
  const roleId = uid('role');
  const roleSel = h('select', { id: roleId, 'data-testid': 'token-role' }, ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
  const commId = uid('comm');
  const commSel = h('select', { id: commId, 'data-testid': 'token-community' });
  const [label, labelF] = field(t('tokens.label'), { maxlength: 100, required: true, autocomplete: 'off', 'data-testid': 'token-label' }, t('tokens.labelHint'));
  const [signer, signerF] = field(t('tokens.signerId'), { maxlength: 64, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'data-testid': 'token-signer' }, t('tokens.signerHint'));
  const signerBox = h('div', {}, signerF);
  // A sign-in that expires issues none that outlives it (the server's
  // rule): then a number of days is required, up to its own end.
  const ownEnd = ctx.me.expire_time ? new Date(ctx.me.expire_time) : null;
  const maxDays = ownEnd ? Math.max(0, Math.floor((ownEnd.getTime() - serverNow().getTime()) / DAY_MS)) : 3650;
  const [days, daysF] = field(t(ownEnd ? 'tokens.daysRequired' : 'tokens.days'), { type: 'number', min: 1, max: maxDays, step: 1, 'data-testid': 'token-days' },
    ownEnd ? t('tokens.daysUntil', { t: fmtTime(ownEnd), n: maxDays }) : t('tokens.daysHint'));
  // A role of one community names it; the others may act in all.
  const shape = () => {
    const one = ONE_COMMUNITY.includes(roleSel.value);
    const chosen = commSel.value;
    // One community is chosen, never taken for granted.
    replace(commSel, h('option', { value: '' }, t(one ? 'tokens.chooseCommunity' : 'who.all')),
      comms.map((c) => h('option', { value: c.community_id }, c.name || c.community_id)));
    commSel.value = [...commSel.options].some((o) => o.value === chosen) ? chosen : commSel.options[0]?.value || '';
    signerBox.hidden = !PERSONAL.includes(roleSel.value);
  };
  roleSel.addEventListener('change', shape);
  shape();
  const issueMsg = h('div', { 'aria-live': 'polite', 'data-testid': 'token-issue-msg' });
  const issue = h('button', { type: 'submit', class: 'primary', 'data-testid': 'token-issue' }, t('tokens.issue'));
  const form = h('form', {
    class: 'card', novalidate: true, 'data-testid': 'token-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const problem = (text) => replace(issueMsg, alertBox(text));
      const holder = label.value.trim();
      if (!holder) return problem(t('tokens.needLabel'));
      if (ONE_COMMUNITY.includes(roleSel.value) && !commSel.value) return problem(t('tokens.needCommunity'));
      const sid = signerBox.hidden ? '' : signer.value.trim();
      if (sid && !/^[A-Za-z0-9._:-]{1,64}$/.test(sid)) return problem(t('tokens.badSigner'));
      // (What the browser cannot read as a number is no "never".)
      const none = days.value.trim() === '' && !days.validity.badInput;
      const n = none ? 0 : Number(days.value);
      if (none && ownEnd) return problem(t('tokens.daysUntil', { t: fmtTime(ownEnd), n: maxDays }));
      if (!none && (!Number.isInteger(n) || n < 1 || n > maxDays)) return problem(t('tokens.badDays', { n: maxDays }));
      const body = { role: 'ROLE_' + roleSel.value, community_id: commSel.value, label: holder, signer_id: sid };
      if (n > 0) body.expire_time = new Date(serverNow().getTime() + n * DAY_MS).toISOString();
      issue.disabled = true;
      replace(issueMsg);
      let r;
      try {
        r = await post('/tokens', body);
      } catch (err) {
        replace(issueMsg, problemsBox(err));
        return;
      } finally {
        issue.disabled = false;
      }
      label.value = '';
      signer.value = '';
      // Shown even if the admin has moved on meanwhile: the secret exists
      // once, and must not be lost unseen.
      showSecret(r);
      if (ctx.current()) redraw();
    },
  },
  h('h2', {}, t('tokens.issueTitle')),
  h('label', { for: roleId }, t('tokens.role')), roleSel,
  h('label', { for: commId }, t('tokens.community')), commSel,
  labelF, signerBox, daysF, issueMsg,
  h('div', { class: 'actions' }, issue));

  // showSecret shows a new sign-in's secret, this once, in a dialog of
  // its own that only 我已转交 closes: Escape (which the page may refuse
  // once only) reopens it, so that no sign-in is left in force that nobody
  // holds. Once closed, it leaves the page, and the secret with it.
  const showSecret = (r) => {
    const tok = r.token || {};
    const sid = uid('secret');
    const titleId = uid('dlg');
    const box = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': 'secret-dialog' });
    const secret = h('input', { id: sid, readonly: true, value: r.secret, class: 'mono', spellcheck: 'false', autocomplete: 'off', 'data-testid': 'token-secret' });
    const copied = h('span', { class: 'muted small', role: 'status' });
    const copy = h('button', {
      type: 'button', 'data-testid': 'token-copy',
      onclick: async () => {
        secret.select();
        try {
          await navigator.clipboard.writeText(secret.value);
          replace(copied, t('tokens.copied'));
        } catch {
          replace(copied, t('tokens.copyByHand'));
        }
      },
    }, t('tokens.copy'));
    replace(box, h('form', { method: 'dialog' },
      h('h2', { id: titleId }, t('tokens.issuedTitle', { who: tok.label })),
      h('p', {}, t('tokens.issuedWhat', {
        role: t('role.' + String(tok.role).replace('ROLE_', '')),
        c: tok.community_id ? names[tok.community_id] || tok.community_id : t('who.all'),
        until: tok.expire_time ? t('tokens.validUntil', { t: fmtTime(tok.expire_time) }) : t('tokens.never'),
      })),
      h('p', { class: 'warn' }, t('tokens.once')),
      h('label', { for: sid }, t('tokens.secret')), secret,
      h('div', { class: 'actions' }, copy, copied),
      h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'done', class: 'primary', 'data-testid': 'token-done' }, t('tokens.done')))));
    box.addEventListener('cancel', (ev) => ev.preventDefault());
    box.addEventListener('close', () => {
      if (box.returnValue !== 'done') {
        box.showModal();
        return;
      }
      replace(box);
      box.remove();
      if (ctx.current()) msg.focus();
    });
    document.body.append(box);
    box.showModal();
    secret.select();
  };

  // revoke asks for a confirmation, then revokes tok at once.
  const revoke = (tok) => {
    const [ok, okF] = confirmField('token-revoke-confirm');
    formDialog(dialog, {
      title: t('tokens.revokeTitle', { who: tok.label }),
      intro: h('p', {}, t('tokens.revokeIntro')),
      fields: [okF],
      submit: t('tokens.revoke'), testid: 'token-revoke-save',
      check: () => (ok.checked ? {} : t('asm.confirmMissing')),
      send: () => post(`/tokens/${seg(tok.token_id)}:revoke`, {}),
      done: async () => {
        said(t('tokens.revokedDone', { who: tok.label }));
        await redraw();
      },
    });
  };

  replace(ctx.main, h('h1', {}, t('tokens.title')), h('p', { class: 'muted' }, t('tokens.intro')), msg, form,
    h('section', { class: 'card' }, h('h2', {}, t('tokens.listTitle')), list), dialog);
  await redraw();
}
