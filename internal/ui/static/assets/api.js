// The JSON API client. State-changing requests carry the CSRF token from the certhunt_csrf cookie;
// a 401 becomes an AuthError so the app can show the login form.

export class AuthError extends Error {
  constructor() {
    super('authentication required');
    this.name = 'AuthError';
  }
}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'APIError';
    this.status = status;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

// State changes always say Content-Type: application/json, body or not: without tokens the
// server refuses any other, since a cross-site page can send text/plain without a preflight.
function headers(method, extra) {
  const out = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = cookie('certhunt_csrf');
    if (csrf) out['X-CSRF-Token'] = csrf;
    out['Content-Type'] = 'application/json';
  }
  return Object.assign(out, extra);
}

// request calls the API and returns its decoded JSON (or null for an empty body).
export async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: headers(method) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new APIError(0, `cannot reach the server (${err.message})`);
  }
  if (res.status === 401) throw new AuthError();
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (res.ok) throw new APIError(res.status, `${method} ${path}: answer is not JSON`);
    }
  }
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : `${res.status} ${res.statusText}`;
    throw new APIError(res.status, msg);
  }
  return data;
}

// query builds "?a=b&..." from the non-empty entries of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const id = (value) => encodeURIComponent(String(value));

export const api = {
  incidents: (params) => request('GET', `/api/v1/incidents${query(params)}`),
  incident: (incidentID) => request('GET', `/api/v1/incidents/${id(incidentID)}`),
  updateIncident: (incidentID, changes) => request('PATCH', `/api/v1/incidents/${id(incidentID)}`, changes),
  campaigns: (params) => request('GET', `/api/v1/campaigns${query(params)}`),
  campaign: (campaignID) => request('GET', `/api/v1/campaigns/${id(campaignID)}`),
  closeCampaign: (campaignID, body) => request('POST', `/api/v1/campaigns/${id(campaignID)}/close`, body),
  allow: (domain, incident, reason) => request('POST', '/api/v1/allow', Object.assign({ domain }, incident ? { incident } : {}, reason ? { reason } : {})),
  allowList: () => request('GET', '/api/v1/allow'),
  disallow: (domain) => request('DELETE', `/api/v1/allow/${id(domain)}`),
  me: () => request('GET', '/api/v1/me'),
  watchlistAssets: () => request('GET', '/api/v1/watchlist/assets'),
  asset: (asset, params) => request('GET', `/api/v1/watchlist/${id(asset)}${query(params || {})}`),
  putAsset: (asset, names) => request('PUT', `/api/v1/watchlist/${id(asset)}`, names),
  deleteAsset: (asset) => request('DELETE', `/api/v1/watchlist/${id(asset)}`),
  editAsset: (asset, changes) => request('POST', `/api/v1/watchlist/${id(asset)}/entries`, changes),
  regenerateAsset: (asset) => request('POST', `/api/v1/watchlist/${id(asset)}/regenerate`, {}),
  sources: () => request('GET', '/api/v1/sources'),
  feeds: () => request('GET', '/api/v1/intel/feeds'),
  inventory: (params) => request('GET', `/api/v1/inventory${query(params)}`),
  watchlist: () => request('GET', '/api/v1/watchlist'),
  putWatchlist: (list) => request('PUT', '/api/v1/watchlist', list),
  mergeWatchlist: (list) => request('POST', '/api/v1/watchlist/merge', list),
  watchlistInfo: () => request('GET', '/api/v1/watchlist/info'),
  homographs: (domains, fuzzers) => request('POST', '/api/v1/homographs', { domains, fuzzers }),
  exportURL: (format, params) => `/api/v1/incidents/export${query(Object.assign({}, params, { format }))}`,
};

// login posts the token as the login form would; the server answers with a session cookie.
export async function login(token) {
  const res = await fetch('/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: headers('POST', { 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams({ token }).toString(),
  });
  if (!res.ok) throw new APIError(res.status, res.status === 401 || res.status === 403 ? 'token refused' : `login failed: ${res.status}`);
}
