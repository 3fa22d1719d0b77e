// node --test kbgen/assets/js/queue.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient } from './api-client.js';
import { createQueue, memoryStore } from './queue.js';

// A fake API that stores tickets by Idempotency-Key, like the server does.
function fakeServer() {
  const byKey = new Map();
  const state = { online: true, created: 0 };
  const fetchImpl = async (url, init) => {
    if (!state.online) throw new TypeError('Failed to fetch');
    const json = (status, body) => ({ status, ok: status < 400, json: async () => body });
    if (url.endsWith('/session')) return json(200, { user: null, csrf_token: 't.x' });
    const key = init.headers['Idempotency-Key'];
    if (!byKey.has(key)) {
      state.created += 1;
      byKey.set(key, { id: `ticket-${state.created}` });
    }
    return json(201, byKey.get(key));
  };
  return { state, api: apiClient('/api', { fetchImpl }) };
}

test('a submission made offline is sent once when back online', async () => {
  const { state, api } = fakeServer();
  const events = [];
  const queue = createQueue({ api, store: memoryStore(), listeners: [(e) => events.push(e.type)] });
  state.online = false;
  const outcome = await queue.submit({ path: '/tickets', json: { subject: 'x' } });
  assert.equal(outcome.queued, true);
  assert.equal((await queue.pending()).length, 1);
  assert.equal(await queue.flush(), 0);            // still offline: nothing lost
  assert.equal((await queue.pending()).length, 1);
  state.online = true;
  assert.equal(await queue.flush(), 1);
  assert.equal(await queue.flush(), 0);
  assert.equal(state.created, 1);
  assert.deepEqual(events, ['queued', 'sent']);
});

test('online submissions are sent at once and not kept', async () => {
  const { state, api } = fakeServer();
  const queue = createQueue({ api, store: memoryStore() });
  const outcome = await queue.submit({ path: '/tickets', json: {} });
  assert.equal(outcome.queued, false);
  assert.equal(outcome.result.id, 'ticket-1');
  assert.equal((await queue.pending()).length, 0);
  assert.equal(state.created, 1);
});

test('a replay the server refuses is kept with its reason, not retried, and can be discarded', async () => {
  const { state, api } = fakeServer();
  const refusing = apiClient('/api', { fetchImpl: async (url, init) => {
    if (!state.online) throw new TypeError('Failed to fetch');
    if (url.endsWith('/session')) return { status: 200, ok: true, json: async () => ({ user: null, csrf_token: 't.x' }) };
    state.created += 1;
    return { status: 422, ok: false, json: async () => ({ error: { code: 'validation_failed', message: 'department: is required',
      fields: [{ field: 'department', reason: 'is required' }] } }) };
  } });
  const queue = createQueue({ api: refusing, store: memoryStore() });
  state.online = false;
  const outcome = await queue.submit({ kind: 'ticket', path: '/tickets', json: { subject: 'x' } });
  state.online = true;
  assert.equal(await queue.flush(), 0);
  const [kept] = await queue.failed();
  assert.equal(kept.id, outcome.id);
  assert.equal(kept.failed.fields[0].field, 'department');
  assert.equal(await queue.flush(), 0);
  assert.equal(state.created, 1, 'a refused submission is not resent by itself');
  await queue.discard(kept.id);
  assert.equal((await queue.pending()).length, 0);
  void api;
});

test('a resubmission with the same id reuses the Idempotency-Key', async () => {
  const { state, api } = fakeServer();
  const queue = createQueue({ api, store: memoryStore() });
  const first = await queue.submit({ id: 'submission-0001', path: '/tickets', json: { subject: 'x' } });
  const again = await queue.submit({ id: 'submission-0001', path: '/tickets', json: { subject: 'x' } });
  assert.equal(first.result.id, again.result.id);
  assert.equal(state.created, 1);
});
