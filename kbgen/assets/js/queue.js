// Nothing lost offline: a submission that cannot reach the API is kept in this browser (IndexedDB,
// files included) under a client-generated id and resent when the connection returns. The id
// travels as the Idempotency-Key header, so the server never creates the same thing twice.

import { ApiError, randomId } from './api-client.js';

const DB_NAME = 'kbgen-queue';
const STORE = 'submissions';

export function memoryStore() {
  const items = new Map();
  return {
    async all() { return [...items.values()].sort((a, b) => a.createdAt - b.createdAt); },
    async put(item) { items.set(item.id, item); },
    async remove(id) { items.delete(id); },
  };
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function transact(mode, work) {
  return openDatabase().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result && 'result' in result ? result.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  }));
}

export function indexedDbStore() {
  return {
    async all() {
      const items = await transact('readonly', (store) => store.getAll());
      return (items || []).sort((a, b) => a.createdAt - b.createdAt);
    },
    put: (item) => transact('readwrite', (store) => store.put(item)),
    remove: (id) => transact('readwrite', (store) => store.delete(id)),
  };
}

// FormData cannot be stored; its entries (strings and File objects) can.
// An empty file input still yields a nameless, empty File: leave it out rather than send "file".
export function formEntries(formData) {
  return [...formData.entries()]
    .filter(([, value]) => !(value && typeof value === 'object' && 'size' in value && !value.size && !value.name))
    .map(([name, value]) => ({ name, value }));
}

function toFormData(entries) {
  const data = new FormData();
  for (const { name, value } of entries) {
    if (value && typeof value === 'object' && 'size' in value) data.append(name, value, value.name || 'file');
    else data.append(name, value);
  }
  return data;
}

// item: {kind, method, path, json | entries, meta}; `send(item)` resolves with the API's answer.
export function createQueue({ api, store, listeners = [] }) {
  const subscribers = new Set(listeners);
  let flushing = null;

  function emit(event) {
    for (const listener of subscribers) {
      try { listener(event); } catch (error) { console.error(error); }
    }
  }

  async function send(item) {
    const headers = { ...(item.headers || {}), 'Idempotency-Key': item.id };
    if (item.entries) return api.request(item.method || 'POST', item.path, { form: toFormData(item.entries), headers });
    return api.request(item.method || 'POST', item.path, { body: item.json, headers });
  }

  // Try now; when the API is unreachable keep it and report {queued: true}. `description.id` is
  // the submission's Idempotency-Key: a form keeps one per submission across retries and reloads.
  async function submit(description) {
    const item = { createdAt: Date.now(), ...description, id: description.id || randomId() };
    delete item.failed;
    try {
      return { queued: false, result: await send(item), id: item.id };
    } catch (error) {
      if (!(error instanceof ApiError) || !error.offline) throw error;
      await store.put(item);
      emit({ type: 'queued', item });
      return { queued: true, id: item.id };
    }
  }

  async function flushOnce() {
    let sent = 0;
    for (const item of await store.all()) {
      if (item.failed) continue;   // refused before: waits for the user to fix it or let it go
      try {
        const result = await send(item);
        await store.remove(item.id);
        sent += 1;
        emit({ type: 'sent', item, result });
      } catch (error) {
        // still offline, or the server is busy / failing: keep this one and the rest for later
        if (!(error instanceof ApiError) || error.offline || error.status === 429 || error.status >= 500) break;
        // Refused for good (validation, closed ticket…): never thrown away. It stays in this
        // browser with the reason, is shown on the next page view, and the user fixes and resends it.
        const failed = { ...item, failed: { status: error.status, code: error.code, message: error.message, fields: error.fields || [], at: Date.now() } };
        await store.put(failed);
        emit({ type: 'failed', item: failed, error });
      }
    }
    return sent;
  }

  function flush() {
    if (!flushing) flushing = flushOnce().finally(() => { flushing = null; });
    return flushing;
  }

  return {
    submit,
    flush,
    pending: () => store.all(),
    failed: async () => (await store.all()).filter((item) => item.failed),
    discard: (id) => store.remove(id),
    subscribe(listener) { subscribers.add(listener); return () => subscribers.delete(listener); },
  };
}

let pageQueue = null;
// One queue per page, flushed on load, when the browser says it is online again, and every 20 s
// while something waits (the "online" event does not fire when only the server was down).
export function sharedQueue(api) {
  if (pageQueue) return pageQueue;
  const store = typeof indexedDB !== 'undefined' ? indexedDbStore() : memoryStore();
  pageQueue = createQueue({ api, store });
  const retry = () => pageQueue.flush().catch((error) => console.warn('kbgen queue:', error));
  if (typeof window !== 'undefined') {
    window.addEventListener('online', retry);
    setInterval(async () => {
      if ((await pageQueue.pending()).length) retry();
    }, 20000);
    setTimeout(retry, 500);
  }
  return pageQueue;
}
