// Helpers shared by the console's pages: what a role may do, and the
// header and tabs of an assembly's pages.

import { asmPath, get, seg } from './api.js';
import { fmtTime, h, stateBadge } from './dom.js';
import { t } from './i18n.js';

// role is a token's role without the enum prefix.
export function role(me) {
  return String((me && me.role) || '').replace('ROLE_', '');
}

// The actions of each role, as the server's policy table allows them. The
// server decides; this only hides what would be refused.
const CAN = {
  calls: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  roll: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  // Making an assembly, and publishing it.
  create: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  publish: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  // Cancelling before voting opens; a street admin also after, and closes
  // a vote early.
  cancel: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  close: ['STREET_ADMIN'],
  rollChanges: ['STREET_ADMIN', 'COMMUNITY_STAFF', 'COMMITTEE_MEMBER', 'AUDITOR'],
  record: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  proxies: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  respond: ['STREET_ADMIN', 'COMMUNITY_STAFF'],
  object: ['STREET_ADMIN', 'COMMUNITY_STAFF', 'COMMITTEE_MEMBER'],
  certify: ['STREET_ADMIN', 'COMMITTEE_MEMBER'],
  // An assembly's export (ExportAssembly).
  export: ['STREET_ADMIN', 'COMMUNITY_STAFF', 'COMMITTEE_MEMBER', 'AUDITOR'],
  enrol: ['STREET_ADMIN', 'COMMUNITY_STAFF', 'COMMITTEE_MEMBER'],
  approve: ['STREET_ADMIN'],
  // Issuing and revoking sign-ins (tokens), and adding communities.
  tokens: ['STREET_ADMIN'],
  createCommunity: ['STREET_ADMIN'],
};

export function can(me, action) {
  // A street admin of one community neither approves keys, issues
  // sign-ins nor adds communities: the server takes them from an admin of
  // every community.
  if (['approve', 'tokens', 'createCommunity'].includes(action) && me.community_id) return false;
  return CAN[action].includes(role(me));
}

// enrolKinds are the kinds of key a role enrols for itself.
export function enrolKinds(me) {
  switch (role(me)) {
    case 'STREET_ADMIN': return ['STAFF', 'COMMITTEE'];
    case 'COMMUNITY_STAFF': return ['STAFF'];
    case 'COMMITTEE_MEMBER': return ['COMMITTEE'];
    default: return [];
  }
}

const CLOSED_STATES = ['ASSEMBLY_STATE_CLOSED', 'ASSEMBLY_STATE_PRELIMINARY', 'ASSEMBLY_STATE_CERTIFIED'];

// assemblyTabs are the links to an assembly's pages that the role may use.
export function assemblyTabs(me, cid, a, active) {
  const base = `#/c/${seg(cid)}/a/${seg(a.assembly_id)}`;
  const tabs = [['dashboard', base, true], ['calls', base + '/calls', can(me, 'calls')], ['record', base + '/record', can(me, 'record')],
    ['proxies', base + '/proxies', can(me, 'proxies') && (a.channels || []).includes('CHANNEL_PROXY')], ['committee', base + '/committee', true]];
  return h('nav', { class: 'tabs', 'aria-label': a.title || a.assembly_id },
    tabs.filter((x) => x[2]).map(([name, href]) => h('a', { href, 'aria-current': name === active ? 'page' : null, 'data-tab': name }, t('tab.' + name))),
    CLOSED_STATES.includes(a.state) ? h('a', { href: '/notices/' + seg(a.assembly_id), target: '_blank', rel: 'noopener', 'data-tab': 'notice' }, t('tab.notice') + ' ↗') : null);
}

// assemblyHeader is the title block of an assembly's pages.
export function assemblyHeader(ctx, a, active) {
  return h('div', { class: 'asm-head' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/c/' + seg(ctx.cid) }, ctx.cid), ' / ', a.assembly_id),
    h('h1', {}, a.title || a.assembly_id, ' ', stateBadge(a.state)),
    h('p', { class: 'muted' }, t('assembly.window', { from: fmtTime(a.opens_at), to: fmtTime(a.closes_at) })),
    assemblyTabs(ctx.me, ctx.cid, a, active));
}

// allCommunities reads every community the token sees, page by page.
export async function allCommunities() {
  const out = [];
  let tok = '';
  do {
    const r = await get('/communities?page_size=1000' + (tok ? '&page_token=' + encodeURIComponent(tok) : ''));
    out.push(...(r.communities || []));
    tok = r.next_page_token || '';
  } while (tok);
  return out;
}

// loadAssembly reads an assembly.
export function loadAssembly(cid, aid) {
  return get(asmPath(cid, aid));
}

