// The canonical ballot format of docs/ballot-format.md (ownervote-ballot/1),
// in the browser: validation, the exact bytes that are signed, key ids and
// the helpers around them. It has no DOM and no network; a Go test runs it
// in Chromium against ballot/testdata/vectors.json so that it cannot drift
// from the Go implementation.

export const HEADER = 'ownervote-ballot/1';

const CHANNEL_SIGNER = {
  ONLINE: 'OWNER', PLATFORM: 'PLATFORM', PHONE: 'STAFF', VISIT: 'STAFF', PAPER: 'STAFF', PROXY: 'PROXY',
};
const KEYWORDS = ['AGREE', 'OPPOSE', 'ABSTAIN', 'INVALID'];
const MAX_NOTE_BYTES = 500;
const MAX_CHOICES = 256;
const MAX_VALUES = 256;
const MAX_CANONICAL = 65536;

// BallotError names the field (as in the canonical text) that breaks a rule.
export class BallotError extends Error {
  constructor(field, reason) {
    super(`ballot: field ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

function checkID(s) {
  if (s === undefined || s === '') return 'required';
  if (typeof s !== 'string' || !ID.test(s)) return 'want 1 to 64 of A-Z a-z 0-9 . _ : -';
  return '';
}

function checkHex(s, n) {
  if (s === undefined || s === '') return 'required';
  if (typeof s !== 'string' || s.length !== n || !/^[0-9a-f]*$/.test(s)) return `want ${n} lowercase hex digits`;
  return '';
}

function checkTime(s) {
  if (s === undefined || s === '') return 'required';
  const m = typeof s === 'string' && TIME.exec(s);
  if (!m) return 'want YYYY-MM-DDTHH:MM:SSZ';
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  if (y < 1970 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d ||
      t.getUTCHours() !== h || t.getUTCMinutes() !== mi || t.getUTCSeconds() !== se) {
    return 'not a valid UTC date and time';
  }
  return '';
}

export function checkMaskedPhone(s) {
  if (typeof s !== 'string' || s.length < 7 || s.length > 15) return 'want 7 to 15 characters';
  if (!/^[0-9*]+$/.test(s)) return 'only digits and *';
  const stars = s.split('*').length - 1;
  if (stars < 4) return "at least 4 '*': never write a full phone number";
  if (s.length - stars > 8) return 'at most 8 digits: never write a full phone number';
  return '';
}

function noteForbidden(cp) {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff;
}

function isWhiteSpace(cp) {
  return cp === 0x20 || cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

// longNumber finds in free text a number that is most likely a person's
// phone, identity or bank card number, exactly as ballot.LongNumber in Go
// does (the server refuses such text; the console says so before sending;
// TestLongNumberAgreesWithGo keeps them one): 11 or more digits in a row,
// ASCII or full-width, or such a number in groups joined by one space,
// hyphen or full stop (zero-width characters skipped): a mobile number (13
// to 19…) as 3-4-4, 7-4 or 3-8, a landline with its area code, an identity
// number as 6-8-4, 6-4-4-4 or 6-6-3 (or 3 and X last), a card number as four
// or more groups of 4; a landline or identity number also joined
// throughout by one slash, underscore or full-width comma. It returns
// whether it found one.
export function longNumber(s) {
  const digit = (c) => (c >= '0' && c <= '9') || (c >= '\uff10' && c <= '\uff19');
  const ascii = (c) => (c >= '\uff10' ? String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48) : c);
  const basicSeps = ' -.\u3000\uff0d\uff0e';
  const moreSeps = '/_\uff0f\uff3f\uff0c';
  const closing = ')\uff09';
  const runs = [];
  let inRun = false;
  let sep = '';
  for (const c of s) {
    if ('\u200b\u200c\u200d\u2060\ufeff'.includes(c)) continue; // invisible: neither a digit nor a separator
    if (digit(c) && inRun) {
      const r = runs[runs.length - 1];
      r.text += ascii(c);
      r.digits++;
    } else if (digit(c)) {
      runs.push({ digits: 1, text: ascii(c), sep, xAfter: false });
      inRun = true;
      sep = '';
    } else if (inRun && (basicSeps.includes(c) || moreSeps.includes(c) || closing.includes(c))) {
      inRun = false;
      sep = c;
    } else if (!inRun && c === ' ' && sep !== '' && closing.includes(sep)) {
      // "(0532) 88886666": the bracket joins across one space.
    } else {
      if (inRun && 'XxＸｘ'.includes(c)) runs[runs.length - 1].xAfter = true;
      inRun = false;
      sep = '';
    }
  }
  if (runs.some((r) => r.digits >= 11)) return true;
  // shape: the runs from i on are groups of these many digits, joined by
  // basic separators, or, where more is set, by one of moreSeps throughout.
  const shape = (i, more, ...digits) => {
    if (i + digits.length > runs.length) return false;
    let basic = true;
    let same = true;
    for (let k = 0; k < digits.length; k++) {
      const r = runs[i + k];
      if (r.digits !== digits[k] || (k > 0 && r.sep === '')) return false;
      if (k > 0) {
        basic = basic && basicSeps.includes(r.sep);
        same = same && moreSeps.includes(r.sep) && r.sep === runs[i + 1].sep;
      }
    }
    return basic || (more && same);
  };
  const isDate = (d) => {
    if (d.length !== 8) return false;
    const y = Number(d.slice(0, 4));
    const m = Number(d.slice(4, 6));
    const day = Number(d.slice(6));
    return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && day >= 1 && day <= 31;
  };
  // A landline: 010, 02x or a 4-digit area code starting 0, joined (by any
  // separator, or a closing bracket and maybe a space) to a local number
  // starting 2 to 9 of 7 or 8 digits, or of 4-4 or 3-4.
  const landline = (i) => {
    const a = runs[i];
    if (a.text[0] !== '0' || i + 1 === runs.length) return false;
    if (a.digits === 3 ? !(a.text.slice(1) === '10' || a.text[1] === '2') : a.digits !== 4) return false;
    const l = runs[i + 1];
    if (l.sep === '' || l.text[0] < '2' || !(basicSeps.includes(l.sep) || moreSeps.includes(l.sep) || closing.includes(l.sep))) return false;
    if (l.digits === 7 || (l.digits === 8 && !isDate(l.text))) return true;
    if ((l.digits === 4 || l.digits === 3) && i + 2 < runs.length) {
      const m = runs[i + 2];
      return m.digits === 4 && m.sep !== '' && (basicSeps.includes(m.sep) || m.sep === l.sep);
    }
    return false;
  };
  // A mobile number starts 13 to 19; written 3-8, its 8 digits are no date
  // (3-1-131 20260512 is a room and a day).
  const mobile = (r) => r.text[0] === '1' && r.text.length > 1 && r.text[1] >= '3';
  return runs.some((r, i) => (mobile(r) && (shape(i, false, 3, 4, 4) || shape(i, false, 7, 4) || (shape(i, false, 3, 8) && !isDate(runs[i + 1].text)))) ||
    landline(i) ||
    shape(i, true, 6, 8, 4) || (shape(i, true, 6, 8, 3) && runs[i + 2].xAfter) ||
    shape(i, true, 6, 4, 4, 4) || (shape(i, true, 6, 4, 4, 3) && runs[i + 3].xAfter) || shape(i, false, 6, 6, 3) ||
    shape(i, false, 4, 4, 4, 4));
}

// checkNote applies the rules of attestation.note (§3): 1–500 bytes of
// UTF-8, no forbidden code point, no white space at either end. The note is
// never normalised.
export function checkNote(s) {
  if (typeof s !== 'string' || s === '') return 'must not be empty when present';
  if (!s.isWellFormed()) return 'not valid Unicode text (a lone surrogate)';
  const bytes = new TextEncoder().encode(s).length;
  if (bytes > MAX_NOTE_BYTES) return `has ${bytes} bytes, at most ${MAX_NOTE_BYTES} allowed`;
  const cps = Array.from(s, (c) => c.codePointAt(0));
  const bad = cps.find(noteForbidden);
  if (bad !== undefined) return `U+${bad.toString(16).toUpperCase().padStart(4, '0')} is not allowed`;
  if (isWhiteSpace(cps[0]) || isWhiteSpace(cps[cps.length - 1])) return 'must not begin or end with white space';
  return '';
}

function checkValues(values) {
  if (!Array.isArray(values) || values.length === 0) return 'at least one value is required';
  if (values.length > MAX_VALUES) return `at most ${MAX_VALUES} values`;
  for (const v of values) {
    if (KEYWORDS.includes(v) && values.length > 1) return `${v} must be the only value`;
    const r = checkID(v);
    if (r) return `value ${JSON.stringify(v)}: ${r}`;
  }
  if (new Set(values).size !== values.length) return 'values must be distinct';
  return '';
}

// presence checks a field that is required on channels `required`,
// optional on `optional` and forbidden elsewhere.
function presence(channel, value, check, required, optional = []) {
  const present = value !== undefined && value !== '';
  if (required.includes(channel)) return present ? check(value) : 'required for channel ' + channel;
  if (optional.includes(channel)) return present ? check(value) : '';
  return present ? 'must be absent for channel ' + channel : '';
}

// validateBallot checks every rule of the format on a ballot in the JSON
// form of §12 and throws a BallotError for the first one broken.
export function validateBallot(b) {
  const fail = (field, reason) => { if (reason) throw new BallotError(field, reason); };
  fail('assembly', checkID(b.assembly));
  fail('roll', checkHex(b.roll, 64));
  fail('voter', checkID(b.voter));
  if (!CHANNEL_SIGNER[b.channel]) fail('channel', `unknown channel ${JSON.stringify(b.channel)}`);
  fail('signer', b.signer === CHANNEL_SIGNER[b.channel] ? '' : `channel ${b.channel} is signed by ${CHANNEL_SIGNER[b.channel]}`);
  fail('key', checkHex(b.key, 32));
  fail('nonce', checkHex(b.nonce, 32));
  fail('time', checkTime(b.time));
  fail('platform_vote_id', presence(b.channel, b.platform_vote_id, checkID, ['PLATFORM']));
  fail('proxy_authorization', presence(b.channel, b.proxy_authorization, (v) => checkHex(v, 64), ['PROXY']));
  const attested = ['PHONE', 'VISIT', 'PAPER'].includes(b.channel);
  const a = b.attestation;
  if (attested && !a) fail('attestation', 'required for channel ' + b.channel);
  if (!attested && a) fail('attestation', 'must be absent for channel ' + b.channel);
  if (a) {
    const known = ['staff', 'time', 'phone', 'note', 'recording', 'paper_serial', 'scan'];
    for (const k of Object.keys(a)) if (!known.includes(k)) fail('attestation.' + k, 'unknown field');
    fail('attestation.staff', checkID(a.staff));
    fail('attestation.time', checkTime(a.time));
    fail('attestation.phone', presence(b.channel, a.phone, checkMaskedPhone, ['PHONE']));
    fail('attestation.note', presence(b.channel, a.note, checkNote, ['VISIT'], ['PHONE']));
    fail('attestation.recording', presence(b.channel, a.recording, (v) => checkHex(v, 64), [], ['PHONE', 'VISIT']));
    fail('attestation.paper_serial', presence(b.channel, a.paper_serial, checkID, ['PAPER']));
    fail('attestation.scan', presence(b.channel, a.scan, (v) => checkHex(v, 64), ['PAPER']));
  }
  const motions = Object.keys(b.choice || {});
  if (motions.length === 0) fail('choice', 'at least one choice is required');
  if (motions.length > MAX_CHOICES) fail('choice', `at most ${MAX_CHOICES} choices`);
  for (const m of motions) {
    fail('choice', checkID(m) ? `motion ${JSON.stringify(m)}: ${checkID(m)}` : '');
    fail('choice.' + m, checkValues(b.choice[m]));
  }
}

// byteOrder compares ASCII strings (ids) in byte order.
function byteOrder(x, y) {
  return x < y ? -1 : x > y ? 1 : 0;
}

// canonicalBallot validates a ballot in the JSON form and returns its
// canonical bytes (§2, §4, §5): exactly what is signed and submitted.
export function canonicalBallot(b) {
  validateBallot(b);
  const lines = [HEADER];
  for (const n of ['assembly', 'roll', 'voter', 'channel', 'signer', 'key', 'nonce', 'time', 'platform_vote_id', 'proxy_authorization']) {
    if (b[n] !== undefined && b[n] !== '') lines.push(`${n}=${b[n]}`);
  }
  const a = b.attestation || {};
  for (const n of ['staff', 'time', 'phone', 'note', 'recording', 'paper_serial', 'scan']) {
    if (a[n] !== undefined && a[n] !== '') lines.push(`attestation.${n}=${a[n]}`);
  }
  for (const m of Object.keys(b.choice).sort(byteOrder)) {
    lines.push(`choice.${m}=` + [...b.choice[m]].sort(byteOrder).join(','));
  }
  const out = new TextEncoder().encode(lines.join('\n') + '\n');
  if (out.length > MAX_CANONICAL) throw new BallotError('choice', `the canonical ballot has ${out.length} bytes, more than ${MAX_CANONICAL}`);
  return out;
}

// parseCanonical reads the lines of a canonical ballot back into the JSON
// form, for showing a stored ballot. It trusts the server's bytes and does
// not re-validate them.
export function parseCanonical(bytes) {
  const text = new TextDecoder().decode(bytes);
  const b = { choice: {} };
  for (const line of text.split('\n').slice(1)) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const name = line.slice(0, i);
    const value = line.slice(i + 1);
    if (name.startsWith('choice.')) b.choice[name.slice(7)] = value.split(',');
    else if (name.startsWith('attestation.')) (b.attestation ||= {})[name.slice(12)] = value;
    else b[name] = value;
  }
  return b;
}

// utcSeconds writes a time as the format's YYYY-MM-DDTHH:MM:SSZ.
export function utcSeconds(date) {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error('not lowercase hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// toBase64 and fromBase64 are the standard base64 with padding that the
// JSON API uses for bytes fields.
export function toBase64(bytes) {
  const b = new Uint8Array(bytes);
  const parts = [];
  // In pieces: a roster file is megabytes, and fromCharCode takes its
  // arguments on the stack.
  for (let i = 0; i < b.length; i += 0x8000) parts.push(String.fromCharCode.apply(null, b.subarray(i, i + 0x8000)));
  return btoa(parts.join(''));
}

export function fromBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function sha256Hex(bytes) {
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

// keyId is the id of a 32-byte Ed25519 public key: the hex of the first 16
// bytes of its SHA-256 (§7).
export async function keyId(publicKey) {
  return (await sha256Hex(publicKey)).slice(0, 32);
}

// ballotId is the id of a canonical ballot: the hex SHA-256 of its bytes.
export function ballotId(canonical) {
  return sha256Hex(canonical);
}

// randomNonce returns 16 fresh random bytes as 32 hex digits.
export function randomNonce() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

// signEd25519 signs bytes with a WebCrypto Ed25519 private key.
export async function signEd25519(privateKey, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, bytes));
}

// verifyEd25519 checks a signature with a raw 32-byte public key.
export async function verifyEd25519(publicKey, signature, bytes) {
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, bytes);
}

// publicKey reads an Ed25519 public key given as 64 hex digits or base64
// (as `ownervote ballot keygen` prints it); null if it is neither, or not
// 32 bytes.
export function publicKey(s) {
  const v = s.trim();
  let bytes = null;
  try {
    bytes = /^[0-9a-fA-F]{64}$/.test(v) ? fromHex(v.toLowerCase()) : fromBase64(v);
  } catch {
    return null;
  }
  return bytes && bytes.length === 32 ? bytes : null;
}
