// The live chat's state, without DOM or network: which chat this browser is in (id and secret
// token in localStorage, so it survives reloads and moving to another article), its messages in
// sequence order, and the messages typed but not yet accepted by the server (sessionStorage).

const STORE_KEY = 'kb-chat';
const OPEN_KEY = 'kb-chat-open';
const PENDING_KEY = 'kb-chat-pending';

// The messages to show, in sequence order, each once, whatever order and how often they arrived.
export class MessageLog {
  constructor() { this.bySeq = new Map(); }

  add(message) {
    if (!message || !Number.isInteger(message.seq) || this.bySeq.has(message.seq)) return false;
    this.bySeq.set(message.seq, message);
    return true;
  }

  get lastSeq() { return this.bySeq.size ? Math.max(...this.bySeq.keys()) : 0; }

  ordered() { return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq); }
}

function storage(kind) {
  try { return globalThis[kind] || null; } catch (error) { return null; }
}

function readJson(kind, key, fallback) {
  try { return JSON.parse(storage(kind).getItem(key)) ?? fallback; } catch (error) { return fallback; }
}

function writeJson(kind, key, value) {
  try {
    if (value === null) storage(kind).removeItem(key);
    else storage(kind).setItem(key, JSON.stringify(value));
  } catch (error) { /* private mode: the chat lasts for this page only */ }
}

export function isLive(chat) {
  return Boolean(chat) && (chat.status === 'waiting' || chat.status === 'active');
}

// One per mounted chat. `apiRoot` keys the stored chat, so two portals on one origin stay apart.
export function chatState(apiRoot) {
  return {
    storeKey: `${STORE_KEY}:${apiRoot}`,
    config: null,            // /chat/config: availability, pre-chat fields, hours, accent
    chat: null,              // {id, token, status, agent_name, staff_typing, unanswered, …}
    log: new MessageLog(),
    pending: readJson('sessionStorage', PENDING_KEY, []),   // [{key, text}] not yet accepted
    unread: 0,
    typingSent: 0,
  };
}

export function startedChat(state, started) {
  state.chat = { id: started.id, token: started.token, status: started.status };
  writeJson('localStorage', state.storeKey, { id: started.id, token: started.token });
  state.log = new MessageLog();
  state.log.add(started.welcome);
}

// The chat this browser was in, if any: {id, token} as stored.
export function storedChat(state) {
  const stored = readJson('localStorage', state.storeKey, null);
  return stored && typeof stored.id === 'string' && typeof stored.token === 'string' ? stored : null;
}

export function forgetChat(state) {
  writeJson('localStorage', state.storeKey, null);
  writeJson('sessionStorage', PENDING_KEY, null);
  state.chat = null;
  state.pending = [];
  state.log = new MessageLog();
}

// Merges a state update from the server; says whether the chat was and is live.
export function updateChat(state, update) {
  const wasLive = isLive(state.chat);
  state.chat = { ...state.chat, ...update };
  return { wasLive, live: isLive(state.chat) };
}

export function addPending(state, pending) {
  state.pending.push(pending);
  writeJson('sessionStorage', PENDING_KEY, state.pending);
}

export function dropPending(state, key) {
  state.pending = state.pending.filter((p) => p.key !== key);
  writeJson('sessionStorage', PENDING_KEY, state.pending.length ? state.pending : null);
}

// Our own message came back from the server: the "sending" entry it replaces, if any.
export function pendingFor(state, message) {
  return message.kind === 'customer' ? state.pending.find((p) => p.text === message.body) || null : null;
}

export function panelWasOpen() {
  return readJson('sessionStorage', OPEN_KEY, false);
}

export function rememberPanelOpen(open) {
  writeJson('sessionStorage', OPEN_KEY, open);
}
