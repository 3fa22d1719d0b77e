// Staff live chat: presence heartbeat, the waiting queue with wait times, accept, reply,
// transfer and close, and the chat's opening hours. The open chat streams over Server-Sent Events
// (messages de-duplicated by sequence number, resumed after a reconnect); the queue is polled.
// Words: the agent_chat_* keys of kbgen/i18n/<lang>.toml, in the agent's language (agent-common.js).
import { apiClient, randomId } from '/agent/js/api-client.js';
import { h, htmlDatetime, sanitizedHtml } from '/agent/js/portal-ui.js';
import { dateTime, startStaffPage, staffHeader } from '/agent/assets/agent-common.js';

const api = apiClient('/api');
const HEARTBEAT_MS = 15000;
const OVERVIEW_MS = 1500;
const SEEN_KEY = 'kb-agent-chat-seen';
const state = { overview: null, current: null, lastSeq: 0, source: null, seen: loadSeen(), typingSent: 0, retry: null, lang: 'en', t: (key) => key };
const t = (key, values) => state.t(key, values);

// what this agent has read, per chat, kept across reloads of the page
function loadSeen() {
  try { return JSON.parse(sessionStorage.getItem(SEEN_KEY)) || {}; } catch (error) { return {}; }
}


const $ = (id) => document.getElementById(id);

function showError(error) {
  const box = $('chat-error');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

function waitText(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

async function heartbeat() {
  try {
    await api.post('/agent/chat/presence', { status: $('presence').checked ? 'online' : 'away' });
  } catch (error) {
    if (!error.offline) showError(error);
  }
}

function listItem(chat, kind) {
  const unread = kind === 'mine' && chat.id !== (state.current && state.current.id)
    && chat.last_seq > (state.seen[chat.id] || 0) ? chat.last_seq - (state.seen[chat.id] || 0) : 0;
  const who = chat.name || chat.email || t('chat_guest');
  return h('li', { class: state.current && state.current.id === chat.id ? 'current' : null, 'data-chat': chat.id },
    h('div', { class: 'line' },
      h('button', { type: 'button', class: 'link', onclick: () => openChat(chat.id) }, who),
      kind === 'waiting' ? h('span', { class: 'wait', 'data-since': String(Date.now() - chat.waited_seconds * 1000), title: t('chat_waiting_for') }, waitText(chat.waited_seconds)) : null,
      unread ? h('span', { class: 'unread', 'aria-label': t('chat_unread', { n: unread }) }, String(unread)) : null),
    h('p', { class: 'preview' }, `${departmentName(chat.department)} · ${chat.customer_typing ? t('chat_typing') : chat.preview}`),
    kind === 'waiting' ? h('button', { type: 'button', class: 'accept', onclick: () => accept(chat.id) }, t('chat_accept')) : null);
}

function renderLists() {
  const overview = state.overview;
  if (!overview) return;
  $('who').textContent = t('chat_online', { n: overview.online_staff.length });
  showHours(overview);
  for (const kind of ['waiting', 'mine', 'others']) {
    const list = $(kind);
    list.replaceChildren(...overview[kind].map((chat) => listItem(chat, kind)));
    if (!overview[kind].length) list.append(h('li', { class: 'none' }, t('none')));
  }
  $('waiting-title').textContent = t('chat_waiting_count', { n: overview.waiting.length });
  // the count in the tab title is visible while the agent works in another tab
  const title = `${t('chat')} – ${t('title')}`;
  document.title = overview.waiting.length ? `(${overview.waiting.length}) ${title}` : title;
}

async function refreshOverview() {
  try {
    state.overview = await api.get(`/agent/chat/overview?lang=${state.lang}`);
    renderLists();
    showError(null);
  } catch (error) {
    if (error.status === 401) location.reload();
    else showError(error);
  }
}

async function accept(id) {
  try {
    await api.post(`/agent/chat/chats/${encodeURIComponent(id)}/accept`);
    await refreshOverview();
    openChat(id);
  } catch (error) {
    showError(error);
    refreshOverview();
  }
}

function messageItem(message) {
  const body = sanitizedHtml(message.body_html, 'body');
  return h('li', { class: message.kind, 'data-seq': String(message.seq) },
    message.kind === 'system' ? null : h('span', { class: 'meta' },
      `${message.author_name || (message.kind === 'customer' ? t('author_customer') : t('chat_support'))} · `,
      h('time', { datetime: htmlDatetime(message.created_at) }, new Date(message.created_at).toLocaleTimeString(state.lang, { timeStyle: 'short' }))),
    body);
}

function addMessages(messages) {
  const log = $('chat-log');
  if (!log) return;
  for (const message of messages) {
    if (message.seq <= state.lastSeq) continue;      // already shown (a replay after a reconnect)
    state.lastSeq = message.seq;
    log.append(messageItem(message));
  }
  state.seen[state.current.id] = state.lastSeq;
  try { sessionStorage.setItem(SEEN_KEY, JSON.stringify(state.seen)); } catch (error) { /* private mode */ }
  log.scrollTop = log.scrollHeight;
}

function applyState(chat) {
  state.current = { ...state.current, ...chat };
  const typing = $('chat-typing');
  if (typing) typing.textContent = chat.customer_typing ? t('chat_is_typing', { name: chat.name || t('chat_the_customer') }) : '';
  const status = $('chat-status');
  if (status) status.textContent = t(`chat_status_${chat.status}`);
  const mine = chat.status === 'active' && state.overview && chat.owner_id === state.overview.me.id;
  for (const control of document.querySelectorAll('[data-owner-only]')) control.disabled = !mine;
  const acceptButton = $('chat-accept');
  if (acceptButton) acceptButton.hidden = chat.status !== 'waiting';
}

function closeStream() {
  if (state.source) state.source.close();
  state.source = null;
  clearTimeout(state.retry);
  clearTimeout(state.fallback);
  clearTimeout(state.pollTimer);
  state.polling = null;
}

function openStream(id) {
  closeStream();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    // the public site's offline service worker (same origin) would hold a stream forever
    state.polling = id;
    poll(id);
    return;
  }
  const source = new EventSource(`/api/agent/chat/chats/${encodeURIComponent(id)}/events?after=${state.lastSeq}`);
  state.source = source;
  let opened = false;
  source.addEventListener('open', () => { opened = true; });
  source.addEventListener('message', (event) => addMessages([JSON.parse(event.data)]));
  source.addEventListener('state', (event) => applyState(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    if (state.source !== source) return;
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {   // took over meanwhile: poll
      closeStream();
      state.polling = id;
      poll(id);
      return;
    }
    // EventSource retries by itself (sending Last-Event-ID); once it gives up, start again from our last seq
    if (source.readyState === EventSource.CLOSED) state.retry = setTimeout(() => openStream(id), 1500);
  });
  // a service worker of the public site (same origin) or a buffering proxy can hold the stream: poll instead
  state.fallback = setTimeout(() => {
    if (!opened && state.source === source) {
      closeStream();
      state.polling = id;
      poll(id);
    }
  }, 2500);
}

async function poll(id) {
  if (state.polling !== id) return;
  try {
    const data = await api.get(`/agent/chat/chats/${encodeURIComponent(id)}?after=${state.lastSeq}`);
    if (state.polling !== id) return;
    addMessages(data.messages);
    applyState(data.chat);
  } catch (error) {
    if (!error.offline) showError(error);
  }
  if (state.polling === id) state.pollTimer = setTimeout(() => poll(id), 1000);
}

async function openChat(id) {
  closeStream();
  let data;
  try {
    data = await api.get(`/agent/chat/chats/${encodeURIComponent(id)}`);
  } catch (error) {
    showError(error);
    return;
  }
  const chat = data.chat;
  state.current = chat;
  state.lastSeq = 0;
  const others = state.overview ? state.overview.online_staff.filter((p) => p.id !== state.overview.me.id) : [];
  const departments = state.overview ? state.overview.departments : [];
  const transfer = h('select', { id: 'chat-transfer', 'data-owner-only': true },
    h('option', { value: '' }, t('chat_transfer_to')),
    others.length ? h('optgroup', { label: t('chat_colleagues_online') }, others.map((p) => h('option', { value: `user:${p.id}` }, p.name))) : null,
    h('optgroup', { label: t('chat_department_queue') }, departments.map((d) => h('option', { value: `department:${d.id}` }, d.label))));
  const reply = h('form', { class: 'chat-reply', novalidate: true },
    h('label', { for: 'chat-reply-body', class: 'kb-sr-only' }, t('reply')),
    h('textarea', { id: 'chat-reply-body', rows: 2, required: true, 'data-owner-only': true, 'aria-describedby': 'chat-reply-hint' }),
    h('button', { type: 'submit', 'data-owner-only': true }, t('send')));
  const pane = $('pane');
  pane.replaceChildren(
    h('h3', {}, chat.name || chat.email || t('chat_guest'), ' ', h('small', {}, '(', h('span', { id: 'chat-status' }, t(`chat_status_${chat.status}`)), ')')),
    h('p', { class: 'meta' }, [chat.email || t('chat_no_email'), departmentName(chat.department), chat.lang,
      chat.page ? t('chat_from_page', { page: chat.page }) : null, chat.customer_id ? null : t('guest')].filter(Boolean).join(' · ')),
    h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('chat_messages'), class: 'chat-log-box' }, h('ul', { id: 'chat-log', class: 'chat-log', tabindex: '0', 'aria-label': t('chat_messages') })),
    h('p', { id: 'chat-typing', class: 'typing', 'aria-live': 'polite' }),
    reply,
    h('p', { id: 'chat-reply-hint', class: 'kb-muted chat-hint' }, t('chat_reply_hint')),
    h('div', { class: 'chat-actions' },
      h('button', { type: 'button', id: 'chat-accept', onclick: () => accept(chat.id), hidden: chat.status !== 'waiting' }, t('chat_accept')),
      h('label', { for: 'chat-transfer', class: 'kb-sr-only' }, t('chat_transfer')), transfer,
      h('button', { type: 'button', id: 'chat-transfer-go', class: 'kb-button-secondary', 'data-owner-only': true, onclick: () => doTransfer(chat.id) }, t('chat_transfer')),
      h('button', { type: 'button', id: 'chat-close', class: 'kb-button-secondary', onclick: () => closeChat(chat.id) }, t('chat_close'))),
    h('div', { id: 'chat-history' }));
  const textarea = reply.querySelector('textarea');
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); reply.requestSubmit(); }
  });
  textarea.addEventListener('input', () => {
    if (Date.now() - state.typingSent > 2500 && textarea.value) {
      state.typingSent = Date.now();
      api.post(`/agent/chat/chats/${encodeURIComponent(chat.id)}/typing`).catch(() => {});
    }
  });
  reply.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = '';
    send(chat.id, text, randomId());
  });
  addMessages(data.messages);
  applyState(chat);
  renderLists();
  if (chat.status === 'waiting' || chat.status === 'active') openStream(chat.id);
  textarea.focus();
  showHistory(chat);
}

// Earlier chats of the same customer (account or email): the transcripts kept on their record.
async function showHistory(chat) {
  const query = chat.customer_id ? `customer_id=${encodeURIComponent(chat.customer_id)}` : (chat.email ? `email=${encodeURIComponent(chat.email)}` : '');
  if (!query) return;
  let earlier;
  try {
    earlier = (await api.get(`/agent/chat/history?${query}`)).chats.filter((c) => c.id !== chat.id);
  } catch (error) { return; }
  const box = $('chat-history');
  if (!box || !earlier.length || !state.current || state.current.id !== chat.id) return;
  box.replaceChildren(h('details', {}, h('summary', {}, t('chat_previous', { n: earlier.length })),
    earlier.map((past) => h('section', { class: 'past-chat' },
      h('h4', {}, [dateTime(state.lang, past.created_at), t(`chat_status_${past.status}`), past.ticket_id ? t('chat_became_ticket') : null].filter(Boolean).join(' · ')),
      h('ul', { class: 'chat-log past-log' }, past.messages.map(messageItem))))));
}

// One key per message: a resend after a failure can never post it twice.
async function send(id, text, key, attempt = 0) {
  try {
    const message = await api.post(`/agent/chat/chats/${encodeURIComponent(id)}/messages`, { body: text }, { 'Idempotency-Key': key });
    if (state.current && state.current.id === id) addMessages([message]);
    showError(null);
  } catch (error) {
    if (error.offline && attempt < 20) {
      showError(new Error(t('chat_resending')));
      setTimeout(() => send(id, text, key, attempt + 1), Math.min(1000 * 2 ** attempt, 10000));
    } else showError(error);
  }
}

async function doTransfer(id) {
  const choice = $('chat-transfer').value;
  if (!choice) return;
  const [kind, value] = choice.split(':');
  try {
    await api.post(`/agent/chat/chats/${encodeURIComponent(id)}/transfer`, kind === 'user' ? { to_user_id: value } : { department: value });
    await refreshOverview();
    openChat(id);
  } catch (error) { showError(error); }
}

async function closeChat(id) {
  try {
    const chat = await api.post(`/agent/chat/chats/${encodeURIComponent(id)}/close`);
    applyState(chat);
    refreshOverview();
  } catch (error) { showError(error); }
}

function tickWaitTimes() {
  for (const clock of document.querySelectorAll('.wait[data-since]')) {
    clock.textContent = waitText(Math.max(0, Math.round((Date.now() - Number(clock.dataset.since)) / 1000)));
  }
}

function departmentName(id) {
  const found = state.overview && state.overview.departments.find((d) => d.id === id);
  return found ? found.label : id;
}

// The week's chat hours (Monday first) in the agent's language, and whether the chat is open now.
function showHours(overview) {
  const box = $('chat-hours');
  if (!box) return;
  const key = JSON.stringify([overview.hours, overview.open, overview.available]);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const now = h('p', {}, h('strong', {}, overview.open ? t('chat_open_now') : t('chat_closed_now')),
    ' · ', overview.available ? t('chat_customers_can_start') : t('chat_customers_leave_message'));
  if (!overview.hours) {
    box.replaceChildren(h('h2', { id: 'chat-hours-title' }, t('chat_hours')), now, h('p', {}, t('chat_always_open')));
    return;
  }
  const dayName = new Intl.DateTimeFormat(state.lang, { weekday: 'long', timeZone: 'UTC' });
  const monday = Date.UTC(2024, 0, 1);                // a Monday
  box.replaceChildren(h('h2', { id: 'chat-hours-title' }, t('chat_hours')), now,
    h('dl', { class: 'chat-hours-days' }, overview.hours.days.map((day, i) => h('div', {},
      h('dt', {}, dayName.format(new Date(monday + i * 86400000))),
      h('dd', {}, day.spans.length ? day.spans.join(', ') : t('chat_closed_day'))))),
    h('p', { class: 'kb-muted' }, t('chat_timezone', { zone: overview.hours.timezone })));
}

function showShell(page) {
  const root = document.getElementById('kb-agent');
  root.replaceChildren(
    staffHeader({ api, ...page, page: 'chat', onError: showError }),
    h('p', { role: 'alert', id: 'chat-error', class: 'kb-notice kb-notice-error', hidden: true }),
    h('main', { id: 'agent-main' },
      h('div', { class: 'chat-top' }, h('h2', {}, t('chat')),
        h('p', { class: 'kb-field kb-field-checkbox presence' }, h('input', { type: 'checkbox', id: 'presence', checked: true }),
          h('label', { for: 'presence' }, t('chat_available'))),
        h('p', { class: 'who kb-muted', id: 'who', role: 'status' })),
      h('div', { class: 'chat-layout' },
        h('div', { class: 'queues' },
          h('section', { class: 'kb-card chat-hours', id: 'chat-hours', 'aria-labelledby': 'chat-hours-title' }),
          h('section', { 'aria-labelledby': 'waiting-title' }, h('h2', { id: 'waiting-title' }, t('chat_waiting')), h('ul', { id: 'waiting', class: 'chat-list' })),
          h('section', { 'aria-labelledby': 'mine-title' }, h('h2', { id: 'mine-title' }, t('chat_mine')), h('ul', { id: 'mine', class: 'chat-list' })),
          h('section', { 'aria-labelledby': 'others-title' }, h('h2', { id: 'others-title' }, t('chat_others')), h('ul', { id: 'others', class: 'chat-list' }))),
        h('section', { class: 'conversation-pane kb-card', id: 'pane', 'aria-label': t('chat_conversation') },
          h('p', { class: 'empty kb-muted' }, t('chat_choose'))))));
}

async function start() {
  const page = await startStaffPage(api);
  Object.assign(state, { lang: page.lang, t: page.t });
  document.title = `${t('chat')} – ${t('title')}`;
  showShell(page);
  $('presence').addEventListener('change', heartbeat);
  heartbeat();
  await refreshOverview();
  // /agent/chat/#chat=<id>: a chat linked from a ticket's side panel
  const linked = new URLSearchParams(location.hash.slice(1)).get('chat');
  if (linked) openChat(linked);
  setInterval(heartbeat, HEARTBEAT_MS);
  setInterval(refreshOverview, OVERVIEW_MS);
  setInterval(tickWaitTimes, 1000);
  window.addEventListener('pagehide', () => {
    // tell colleagues' queues at once that this agent is gone (else presence expires after ~45 s)
    navigator.sendBeacon && api.session().then((s) => fetch('/api/agent/chat/presence', {
      method: 'POST', keepalive: true, credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{"status":"offline"}',
    })).catch(() => {});
  });
}

start();
