// Signing keys of staff and committee members, made and kept in this
// browser: WebCrypto Ed25519 key pairs whose private key is not extractable,
// stored as CryptoKey objects in IndexedDB. The server only ever receives
// the public key (SignerService.EnrolSigner) and signatures.

import { keyId, toHex } from './ballot.js';

const DB = 'ownervote-keys';
const STORE = 'keys';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'keyId' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

// supported reports whether this browser can make Ed25519 keys here (it
// needs a secure context: HTTPS, or a loopback address).
export function supported() {
  return Boolean(window.isSecureContext && crypto.subtle && window.indexedDB);
}

// createKey makes a new key pair, stores it with its description and the
// sign-in it is made for (tokenId) and returns the record: {keyId, kind,
// communityId, signerId, name, tokenId, publicKey (hex), privateKey
// (CryptoKey), created}.
export async function createKey({ kind, communityId, signerId, name, tokenId }) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const rec = {
    keyId: await keyId(raw), kind, communityId: communityId || '', signerId, name, tokenId: tokenId || '',
    publicKey: toHex(raw), privateKey: pair.privateKey, created: new Date().toISOString(),
  };
  await tx('readwrite', (s) => s.put(rec));
  return rec;
}

// listKeys returns every key kept in this browser.
export async function listKeys() {
  return (await tx('readonly', (s) => s.getAll())) || [];
}

// deleteKey forgets a key in this browser (it stays registered until an
// admin revokes it).
export async function deleteKey(id) {
  await tx('readwrite', (s) => s.delete(id));
}

// signerStatus says what the server knows of a key: 'ACTIVE', 'PENDING',
// 'REVOKED' or 'UNKNOWN', from a ListSigners reply.
export function signerStatus(signers, id) {
  const s = (signers || []).find((x) => x.key_id === id);
  if (!s) return 'UNKNOWN';
  if (s.revoke_time) return 'REVOKED';
  return s.pending ? 'PENDING' : 'ACTIVE';
}

// ownedBy tells whether a key was enrolled through the token signed in now
// (me, from WhoAmI): a browser shared by several people keeps each one's
// keys, and nobody may sign with another's.
export function ownedBy(signers, id, me) {
  const s = (signers || []).find((x) => x.key_id === id);
  return Boolean(s && me && me.token_id && s.registered_by === me.token_id);
}

// shownTo tells whether a key of this browser is listed to the person signed
// in (me): theirs by the server's record or by the sign-in it was made for,
// or one nobody can be told to own (made before keys noted their sign-in, and
// unknown to the server), so that it can be forgotten.
export function shownTo(signers, k, me) {
  if (ownedBy(signers, k.keyId, me) || (k.tokenId && me && k.tokenId === me.token_id)) return true;
  return !k.tokenId && signerStatus(signers, k.keyId) === 'UNKNOWN';
}

// usableKey finds a key of this browser that the person signed in (me) may
// sign with as kind in the community: theirs, active on the server and in
// scope.
export async function usableKey(kind, communityId, signers, me) {
  const keys = await listKeys();
  return keys.find((k) => k.kind === kind && (k.communityId === '' || k.communityId === communityId) &&
    signerStatus(signers, k.keyId) === 'ACTIVE' && ownedBy(signers, k.keyId, me)) || null;
}
