// Talks to the companion API: JSON in and out, the session cookie, the CSRF token on every
// state-changing request, and errors as ApiError (with `offline` set when the API was unreachable).
// Its own messages are in the page's language when the page gives its words: `text` (portal
// modules pass uiText('api', lang), the staff pages their agent_api_* translator via useText).
// `lang` goes to the API as Accept-Language, so that its error messages are in the page's language.

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'network_error', fields = [], offline = false } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.offline = offline;
  }

  fieldReason(name) {
    const found = this.fields.find((f) => f.field === name);
    return found ? found.reason : null;
  }
}

const SAFE = new Set(['GET', 'HEAD']);

export function randomId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// English until a page gives its words (node tests; the staff sign-in page, which loads none).
function englishText(key, values = {}) {
  if (key === 'failed') return `Request failed (${values.status})`;
  if (key === 'busy') return 'The server is busy; please try again in a moment.';
  return 'The support server cannot be reached.';
}

export function apiClient(base, { fetchImpl, text, lang } = {}) {
  const root = (base || '/api').replace(/\/$/, '');
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args));
  let say = text || englishText;
  let language = lang || '';
  let session = null;

  async function loadSession(force = false) {
    if (!session || force) session = await request('GET', '/session');
    return session;
  }

  async function request(method, path, { body, form, headers = {}, retried = false, attempt = 0 } = {}) {
    const init = { method, credentials: 'include', headers: { Accept: 'application/json', ...headers } };
    if (language) init.headers['Accept-Language'] = language;
    if (!SAFE.has(method)) {
      const current = await loadSession();
      init.headers['X-CSRF-Token'] = current.csrf_token;
    }
    if (form) init.body = form;
    else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await doFetch(root + path, init);
    } catch (networkError) {
      throw new ApiError(say('unreachable'), { offline: true });
    }
    if (response.status === 204) return null;
    let payload = null;
    try {
      payload = await response.json();
    } catch (notJson) {
      payload = null;
    }
    if (response.ok) return payload;
    const error = (payload && payload.error) || {};
    // a proxy or captive portal answering instead of the API counts as offline
    if (!payload && response.status >= 500) throw new ApiError(say('unreachable'), { status: response.status, offline: true });
    // a busy server answers a read 429 with Retry-After: wait as told and ask again (a few times),
    // instead of leaving the page without its form or list; writes go through the offline queue
    if (response.status === 429 && SAFE.has(method) && attempt < 3) {
      const seconds = Math.min(5, Math.max(0.2, Number(response.headers.get('Retry-After')) || 1));
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000 * (0.75 + Math.random() / 2)));
      return request(method, path, { body, form, headers, retried, attempt: attempt + 1 });
    }
    if (error.code === 'csrf_failed' && !retried) {
      await loadSession(true);
      return request(method, path, { body, form, headers, retried: true });
    }
    // "busy" comes from the server's overload guard, before any of its words are looked up
    const message = error.code === 'busy' ? say('busy') : error.message;
    throw new ApiError(message || say('failed', { status: response.status }), {
      status: response.status, code: error.code || 'error', fields: error.fields || [],
    });
  }

  return {
    root,
    session: loadSession,
    forgetSession() { session = null; },
    // the words for its own messages, once the page has them (the staff pages load theirs through it)
    useText(fn, lang) { say = fn || englishText; language = lang || language; },
    get: (path) => request('GET', path),
    post: (path, body, headers) => request('POST', path, { body, headers }),
    put: (path, body, headers) => request('PUT', path, { body, headers }),
    patch: (path, body, headers) => request('PATCH', path, { body, headers }),
    del: (path) => request('DELETE', path),
    upload: (path, form, headers) => request('POST', path, { form, headers }),
    request,
  };
}
