// node --test kbgen/assets/js/portal.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// The build's strings scripts (tests/conftest.py node_strings_env writes them from the i18n files).
const STRINGS_FILES = (process.env.KBGEN_TEST_STRINGS || '').split(',').filter(Boolean);
for (const file of STRINGS_FILES) (0, eval)(readFileSync(file, 'utf8'));
import { htmlDatetime, portalText, translator } from './portal-ui.js';
import { parseTicketHash } from './tickets.js';
import { voterId } from './rating.js';
import { ApiError, apiClient } from './api-client.js';
import { uiText } from './strings.js';

test('the private link in the hash names the ticket and its key', () => {
  assert.deepEqual(parseTicketHash('#ticket=abc_-1&key=f00'), { id: 'abc_-1', key: 'f00' });
  assert.deepEqual(parseTicketHash('#ticket=abc'), { id: 'abc', key: null });
  assert.equal(parseTicketHash('#reset=x'), null);
  assert.equal(parseTicketHash(''), null);
});

test('Japanese strings exist for every English one and fill placeholders', () => {
  assert.ok(STRINGS_FILES.length, 'run through pytest tests/test_api_js.py, which provides the strings');
  const en = portalText('en');
  const ja = portalText('ja');
  assert.equal(en('ticket_created', { n: 'AB12' }), 'Thank you! Your ticket number is AB12.');
  assert.match(ja('ticket_created', { n: 'AB12' }), /AB12/);
  assert.notEqual(ja('helpful'), en('helpful'));
  assert.equal(portalText('fr')('yes'), 'Yes');
});

test('counts take the language\'s plural form: 1 vote, 2 votes; Japanese has one form', () => {
  const tables = { en: { votes: '{n} votes', votes_one: '1 vote' }, ja: { votes: '{n} 票' } };
  assert.equal(translator(tables, 'en')('votes', { n: 1 }), '1 vote');
  assert.equal(translator(tables, 'en')('votes', { n: 2 }), '2 votes');
  assert.equal(translator(tables, 'en')('votes', { n: 0 }), '0 votes');
  assert.equal(translator(tables, 'ja')('votes', { n: 1 }), '1 票');
  assert.equal(translator(tables, 'fr')('votes', { n: 1 }), '1 vote');   // English as the fallback
  assert.equal(portalText('en')('attachments_hint', { n: 1, size: 2, types: '.txt' }), 'One file, up to 2 MB. Allowed: .txt');
});

test('<time datetime> gets at most 3 fraction digits', () => {
  assert.equal(htmlDatetime('2026-12-01T12:00:00.123456+00:00'), '2026-12-01T12:00:00.123+00:00');
  assert.equal(htmlDatetime('2026-12-01T12:00:00Z'), '2026-12-01T12:00:00Z');
});

test('a browser keeps one voter id', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const first = voterId(storage);
  assert.match(first, /^[A-Za-z0-9_-]{16,64}$/);
  assert.equal(voterId(storage), first);
});

test('API errors carry the field reasons; unreachable means offline', async () => {
  const failing = apiClient('/api', { fetchImpl: async (url) => {
    if (url.endsWith('/session')) return { status: 200, ok: true, json: async () => ({ csrf_token: 't' }) };
    return { status: 422, ok: false, json: async () => ({ error: { code: 'validation_failed', message: 'subject: is required', fields: [{ field: 'subject', reason: 'is required' }] } }) };
  } });
  await assert.rejects(failing.post('/tickets', {}), (error) => error instanceof ApiError && error.fieldReason('subject') === 'is required');
  const offline = apiClient('/api', { fetchImpl: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(offline.get('/session'), (error) => error.offline === true);
});

test("the API client's own messages are in the page's language, English without one", async () => {
  const unreachable = async () => { throw new TypeError('Failed to fetch'); };
  const proxy502 = async () => ({ status: 502, ok: false, json: async () => { throw new SyntaxError('an HTML page'); } });
  const bare404 = async () => ({ status: 404, ok: false, json: async () => ({}) });
  const message = (api) => api.get('/x').then(() => null, (error) => error.message);
  assert.equal(await message(apiClient('/api', { fetchImpl: unreachable, text: uiText('api', 'ja') })), 'サポートサーバーに接続できません。');
  assert.equal(await message(apiClient('/api', { fetchImpl: proxy502, text: uiText('api', 'ja') })), 'サポートサーバーに接続できません。');
  assert.equal(await message(apiClient('/api', { fetchImpl: bare404, text: uiText('api', 'ja') })), 'リクエストに失敗しました（404）');
  assert.equal(await message(apiClient('/api', { fetchImpl: bare404, text: uiText('api', 'en') })), 'Request failed (404)');
  // no words given (a widget, the staff sign-in page): English
  assert.equal(await message(apiClient('/api', { fetchImpl: unreachable })), 'The support server cannot be reached.');
  assert.equal(await message(apiClient('/api', { fetchImpl: bare404 })), 'Request failed (404)');
  // the staff pages hand over their words once loaded
  const staff = apiClient('/api', { fetchImpl: bare404 });
  staff.useText(uiText('api', 'ja'));
  assert.equal(await message(staff), 'リクエストに失敗しました（404）');
});

test("the API client asks for the page's language and words the overload guard's busy in it", async () => {
  const asked = [];
  const busy = async (url, init) => {
    asked.push(init.headers['Accept-Language']);
    if (url.endsWith('/session')) return { status: 200, ok: true, json: async () => ({ csrf_token: 't' }) };
    return { status: 429, ok: false, headers: { get: () => '1' }, json: async () => ({ error: { code: 'busy', message: 'The server is busy' } }) };
  };
  const japanese = apiClient('/api', { fetchImpl: busy, text: uiText('api', 'ja'), lang: 'ja' });
  await assert.rejects(japanese.post('/tickets', {}), (error) => error.message === 'サーバーが混み合っています。しばらくしてからもう一度お試しください。');
  assert.deepEqual(asked, ['ja', 'ja']);
  const staff = apiClient('/api', { fetchImpl: busy });
  staff.useText(uiText('api', 'en'), 'en');
  await assert.rejects(staff.post('/tickets', {}), (error) => error.message === 'The server is busy; please try again in a moment.');
  assert.deepEqual(asked.slice(2), ['en', 'en']);
});

test('a refused CSRF token is refreshed once and the request retried', async () => {
  let tokens = 0;
  let posts = 0;
  const api = apiClient('/api', { fetchImpl: async (url, init) => {
    if (url.endsWith('/session')) { tokens += 1; return { status: 200, ok: true, json: async () => ({ csrf_token: `t${tokens}` }) }; }
    posts += 1;
    if (init.headers['X-CSRF-Token'] === 't1') return { status: 403, ok: false, json: async () => ({ error: { code: 'csrf_failed', message: 'no' } }) };
    return { status: 200, ok: true, json: async () => ({ ok: true }) };
  } });
  assert.deepEqual(await api.post('/x', {}), { ok: true });
  assert.equal(tokens, 2);
  assert.equal(posts, 2);
});

test('a read refused 429 is asked again after Retry-After, a few times; a write is not', async () => {
  let reads = 0;
  let writes = 0;
  const busy = { status: 429, ok: false, headers: { get: () => '0.2' }, json: async () => ({ error: { code: 'busy', message: 'Busy' } }) };
  const api = apiClient('/api', { fetchImpl: async (url, init) => {
    if (url.endsWith('/session')) return { status: 200, ok: true, json: async () => ({ csrf_token: 't' }) };
    if (init.method === 'GET') { reads += 1; return reads < 3 ? busy : { status: 200, ok: true, json: async () => ({ topics: [] }) }; }
    writes += 1;
    return busy;
  } });
  assert.deepEqual(await api.get('/forum/topics'), { topics: [] });
  assert.equal(reads, 3);
  await assert.rejects(api.post('/tickets', {}), (error) => error.status === 429);
  assert.equal(writes, 1, 'writes are the queue\'s business (one key, its own retries)');
  reads = -10;   // always busy: gives up after three more tries
  await assert.rejects(api.get('/forum/topics'), (error) => error.status === 429);
  assert.equal(reads, -6);
});

test('hooks reach the API over http, or from disk only when its address is absolute', async () => {
  const { apiAvailable } = await import('./core.js');
  assert.equal(apiAvailable({ api: '/api', fromFile: false }), true);
  assert.equal(apiAvailable({ api: '/api', fromFile: true }), false);
  assert.equal(apiAvailable({ api: 'https://help.example/api', fromFile: true }), true);
  assert.equal(apiAvailable({ api: '', fromFile: false }), false);
});
