// The live chat's network side: the chat API calls and the event stream. Messages stream over
// Server-Sent Events; each carries its chat's sequence number, so a reconnect resumes after the
// last one shown and nothing appears twice. When a stream cannot be opened (a buffering proxy,
// a service worker) the chat is polled instead. Sends keep one Idempotency-Key per message until
// the server has it. What arrives goes to the `on` handlers; this module holds no DOM.

import { randomId } from './api-client.js';
import { dropPending, forgetChat, isLive } from './chat-state.js';

const POLL_FALLBACK_MS = 2500;
const POLL_MS = 1000;
const STALL_MS = 40000;
const TYPING_EVERY_MS = 2500;

// on: {message(message), state(chat), gone(), sent(pending, message), retrying(pending), refused(pending, error)}
export function chatTransport(api, state, lang, on) {
  const timers = { source: null, retry: null, watchdog: null, fallback: null, poll: null, polling: false, lastEventAt: 0 };
  const path = (suffix = '') => `/chat/chats/${encodeURIComponent(state.chat.id)}${suffix}`;
  const tokenHeader = (extra = {}) => ({ 'X-Chat-Token': state.chat.token, ...extra });

  async function refreshConfig() {
    try {
      state.config = await api.get(`/chat/config?lang=${encodeURIComponent(lang)}`);
    } catch (error) {
      state.config = state.config || null;
    }
    return state.config;
  }

  function gone() {
    disconnect();
    forgetChat(state);
    on.gone();
  }

  async function connect() {
    disconnect();
    if (!isLive(state.chat)) return;
    if (serviceWorkerControlled()) { poll(); return; }
    const chatId = state.chat.id;
    try {
      // an HttpOnly cookie for this chat's stream, so the secret token never appears in a URL
      await api.post(path('/stream-access'), undefined, tokenHeader());
    } catch (error) {
      if (error.status === 404) { forgetChat(state); on.gone(); return; }
      timers.retry = setTimeout(connect, 2000);
      return;
    }
    if (!state.chat || state.chat.id !== chatId || timers.source) return;
    const url = `${api.root}/chat/chats/${encodeURIComponent(chatId)}/events?after=${state.log.lastSeq}`;
    const source = new EventSource(url, { withCredentials: true });
    timers.source = source;
    let opened = false;
    const alive = () => { timers.lastEventAt = Date.now(); };
    source.addEventListener('open', () => { opened = true; alive(); });
    source.addEventListener('message', (event) => { alive(); on.message(JSON.parse(event.data)); });
    source.addEventListener('state', (event) => { alive(); on.state(JSON.parse(event.data)); });
    source.addEventListener('ping', alive);
    source.addEventListener('gone', gone);
    source.addEventListener('error', () => {
      if (timers.source !== source) return;
      // a service worker that took over meanwhile would hold the browser's automatic reconnection
      if (serviceWorkerControlled()) { disconnect(); poll(); return; }
      // the browser retries by itself with Last-Event-ID; if it gives up, start over from the last seq we have
      if (source.readyState === EventSource.CLOSED) timers.retry = setTimeout(connect, 2000);
    });
    // the server writes at least every 15 s; a longer silence is a stalled connection
    timers.watchdog = setInterval(() => {
      if (timers.source === source && opened && Date.now() - timers.lastEventAt > STALL_MS) connect();
    }, 5000);
    // Something between us and the API (a proxy that buffers, a service worker that waits for the
    // whole body) can hold a stream forever; then ask for new messages every second instead.
    timers.fallback = setTimeout(() => {
      if (!opened && timers.source === source) {
        disconnect();
        poll();
      }
    }, POLL_FALLBACK_MS);
  }

  // A service worker that answers API requests itself (the offline cache) would wait for the end of a
  // stream that never ends, so pages it controls ask for new messages every second instead.
  function serviceWorkerControlled() {
    return Boolean(globalThis.navigator && navigator.serviceWorker && navigator.serviceWorker.controller);
  }

  async function poll() {
    timers.polling = true;
    if (!isLive(state.chat)) return;
    try {
      on.state(await catchUp());
    } catch (error) {
      if (error.status === 404) { gone(); return; }
    }
    if (timers.polling && isLive(state.chat)) timers.poll = setTimeout(poll, POLL_MS);
  }

  function disconnect() {
    clearInterval(timers.watchdog);
    clearTimeout(timers.retry);
    clearTimeout(timers.fallback);
    clearTimeout(timers.poll);
    timers.polling = false;
    if (timers.source) timers.source.close();
    timers.source = null;
  }

  // Messages after the last one we have (each goes to on.message); returns the chat's state.
  async function catchUp() {
    const data = await api.request('GET', path(`?after=${state.log.lastSeq}`), { headers: tokenHeader() });
    for (const message of data.messages) on.message(message);
    return data.chat;
  }

  async function deliver(pending, attempt = 0) {
    if (!state.chat) return;
    try {
      const message = await api.post(path('/messages'), { body: pending.text }, tokenHeader({ 'Idempotency-Key': pending.key }));
      dropPending(state, pending.key);
      on.sent(pending, message);
    } catch (error) {
      if (error.offline || error.status === 429 || error.status >= 500) {
        on.retrying(pending);
        setTimeout(() => deliver(pending, attempt + 1), Math.min(1000 * 2 ** attempt, 15000));
      } else {
        dropPending(state, pending.key);
        on.refused(pending, error);
      }
    }
  }

  // The stored chat, with every message so far; false when there is none (or it is gone).
  async function resume(stored) {
    state.chat = { id: stored.id, token: stored.token, status: 'waiting' };
    try {
      const data = await api.request('GET', path('?after=0'), { headers: tokenHeader() });
      state.chat = { ...state.chat, ...data.chat };
      for (const message of data.messages) state.log.add(message);
      return true;
    } catch (error) {
      if (error.status === 404) forgetChat(state);
      else state.chat = null;
      return false;
    }
  }

  function typing() {
    if (Date.now() - state.typingSent <= TYPING_EVERY_MS) return;
    state.typingSent = Date.now();
    api.post(path('/typing'), undefined, tokenHeader()).catch(() => {});
  }

  return {
    refreshConfig,
    connect,
    disconnect,
    catchUp,
    deliver,
    resume,
    typing,
    start: (data) => api.post('/chat/chats', data, { 'Idempotency-Key': randomId() }),
    leaveMessage: (data, key) => api.post('/chat/leave-message', data, { 'Idempotency-Key': key }),
    close: () => api.post(path('/close'), undefined, tokenHeader()),
    transcript: () => api.post(path('/transcript'), undefined, tokenHeader()),
    toTicket: () => api.post(path('/ticket'), {}, tokenHeader({ 'Idempotency-Key': randomId() })),
  };
}
