// The JSON API client: every call goes to the same origin's /v1 with the
// bearer token the user pasted. The token lives in this tab's
// sessionStorage only: never in the URL, never in localStorage, never
// logged.

const TOKEN_KEY = 'ownervote.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  sessionStorage.setItem(TOKEN_KEY, t);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// ApiError is a non-2xx reply: the HTTP status, the stable reason
// (google.rpc.ErrorInfo) and the messages for people.
export class ApiError extends Error {
  constructor(status, body) {
    const details = (body && body.details) || [];
    const info = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
    const zh = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.LocalizedMessage');
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.reason = (info && info.reason) || '';
    this.messageZh = (zh && zh.message) || '';
    this.violations = (details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest') || {}).field_violations || [];
  }
}

// serverOffset is the server clock minus the local clock, in ms, from the
// Date header of the last reply (1 s resolution).
let serverOffset = 0;

// serverNow is the local clock, corrected when it is clearly off the
// server's (a ballot dated in the future is refused).
export function serverNow() {
  return new Date(Date.now() + (Math.abs(serverOffset) > 30000 ? serverOffset : 0));
}

let onUnauthenticated = () => {};

// whenUnauthenticated sets what happens when the server no longer accepts
// the token (revoked, or a server restart with another database).
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

// seg escapes one path segment.
export const seg = encodeURIComponent;

// api sends a request to /v1 + path and returns the decoded JSON reply.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch('/v1' + path, {
    method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const date = Date.parse(resp.headers.get('Date') || '');
  if (!Number.isNaN(date)) serverOffset = date - Date.now();
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (resp.status === 401) onUnauthenticated(err);
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

// asmPath is the path of an assembly resource.
export function asmPath(cid, aid, rest = '') {
  return `/communities/${seg(cid)}/assemblies/${seg(aid)}${rest}`;
}
