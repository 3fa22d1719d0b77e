// Live chat on every portal page: a button that opens a small non-modal dialog. A guest gives
// the pre-chat fields, a signed-in customer does not. Messages stream over Server-Sent Events;
// each carries its chat's sequence number, so a reconnect resumes after the last one shown and
// nothing appears twice. The chat id and its secret token live in localStorage, so the
// conversation survives reloads and moving to another article. When nobody is there (closed,
// no staff online, or nobody accepts in time) the visitor can leave a message, which becomes a ticket.

import { apiAvailable, registerMount } from './core.js';
import { apiClient, randomId } from './api-client.js';
import { h, sanitizedHtml } from './portal-ui.js';
import { uiText } from './strings.js';

const STORE_KEY = 'kb-chat';
const OPEN_KEY = 'kb-chat-open';
const PENDING_KEY = 'kb-chat-pending';
const TYPING_EVERY_MS = 2500;
const POLL_FALLBACK_MS = 2500;
const POLL_MS = 1000;
const STALL_MS = 40000;

// The chat window's words (js_chat_* in the i18n files).
export function chatText(lang) {
  return uiText('chat', lang);
}

// The week's chat hours (Monday first), so a visitor outside them knows when to come back.
export function openingHours(hours, lang, t) {
  if (!hours || !Array.isArray(hours.days)) return null;
  let dayName;
  try { dayName = new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' }); } catch (error) { dayName = new Intl.DateTimeFormat('en', { weekday: 'short', timeZone: 'UTC' }); }
  const monday = Date.UTC(2024, 0, 1);   // a Monday
  return h('div', { class: 'kb-chat-hours' },
    h('p', { class: 'kb-chat-note', id: 'kb-chat-hours-title' }, t('hours', { zone: hours.timezone })),
    h('ul', { 'aria-labelledby': 'kb-chat-hours-title' }, hours.days.map((day, i) => h('li', {},
      h('span', {}, dayName.format(new Date(monday + i * 86400000))), ' ',
      h('span', {}, day.spans.length ? day.spans.map((span) => span.replace('-', '–')).join(', ') : t('closed_day'))))));
}

// Readable text on the configured accent colour (WCAG relative luminance).
export function textColourFor(hex) {
  const value = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(hex || '') ? hex.slice(1) : '0b6bcb';
  const full = value.length === 3 ? value.split('').map((c) => c + c).join('') : value;
  const channel = (i) => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  return luminance > 0.179 ? '#111111' : '#ffffff';
}

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

let styleAdded = false;
function addStyles() {
  if (styleAdded || document.getElementById('kb-chat-style')) return;
  styleAdded = true;
  const style = document.createElement('style');
  style.id = 'kb-chat-style';
  style.textContent = `
.kb-chat[data-position="bottom-left"]:not(:empty) { right: auto; left: max(1rem, env(safe-area-inset-left)); }
.kb-chat-launcher svg { width: 1.3em; height: 1.3em; flex: none; }
.kb-chat-launcher { display: inline-flex; align-items: center; gap: .5rem; border: 0; border-radius: 999px; padding: .7rem 1.1rem;
  font: inherit; font-weight: 600; background: var(--kb-chat-accent); color: var(--kb-chat-on-accent); cursor: pointer;
  box-shadow: 0 4px 14px rgba(0,0,0,.22); }
.kb-chat-launcher:focus-visible, .kb-chat-panel :focus-visible { outline: 3px solid var(--kb-chat-accent); outline-offset: 2px; }
.kb-chat-launcher .kb-chat-badge { background: #d92d20; color: #fff; border-radius: 999px; min-width: 1.3em; padding: 0 .35em; font-size: .8em; }
.kb-chat-panel { position: absolute; bottom: calc(100% + .6rem); right: 0; width: min(23rem, calc(100vw - 2rem));
  height: min(34rem, calc(100vh - 6rem)); display: flex; flex-direction: column; background: var(--kb-bg, #fff); color: var(--kb-fg, #1d2330);
  border: 1px solid var(--kb-border, #d5d9e0); border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.25); overflow: hidden; }
@supports (height: 100dvh) { .kb-chat-panel { height: min(34rem, calc(100dvh - 6rem)); } }
.kb-chat[data-position="bottom-left"] .kb-chat-panel { right: auto; left: 0; }
.kb-chat-panel[hidden] { display: none; }
.kb-chat-head { display: flex; align-items: center; gap: .5rem; padding: .6rem .8rem; background: var(--kb-chat-accent); color: var(--kb-chat-on-accent); }
.kb-chat-head > div { flex: 1; min-width: 0; }
.kb-chat-panel .kb-chat-head h2 { font: inherit; font-size: 1rem; font-weight: 700; margin: 0; color: inherit; border: 0; padding: 0; }
.kb-chat-head p { margin: 0; font-size: .85rem; }
.kb-chat-head button { background: transparent; color: inherit; border: 0; font-size: 1.4rem; line-height: 1; cursor: pointer; padding: .2rem .4rem; }
.kb-chat-body { flex: 1; overflow-y: auto; padding: .75rem; display: flex; flex-direction: column; gap: .5rem; }
.kb-chat-log { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .4rem; }
.kb-chat-log li { max-width: 85%; padding: .45rem .7rem; border-radius: 12px; background: var(--kb-surface, #eef2f7); overflow-wrap: anywhere; }
.kb-chat-log li.kb-chat-customer { align-self: flex-end; background: var(--kb-chat-accent); color: var(--kb-chat-on-accent); }
.kb-chat-log li.kb-chat-customer a { color: inherit; }
.kb-chat-log li.kb-chat-system:not(.kb-chat-welcome) { align-self: center; background: none; color: var(--kb-muted, #5b6372); font-size: .85rem; text-align: center; }
.kb-chat-log li.kb-chat-pending { opacity: .65; }
.kb-chat-log .kb-user-text { white-space: normal; }
.kb-chat-log .kb-user-text p { margin: 0; }
.kb-chat-who { display: block; font-size: .75rem; opacity: .8; }
.kb-chat-typing { min-height: 1.2em; margin: 0; font-size: .85rem; color: var(--kb-muted, #5b6372); font-style: italic; }
.kb-chat-form { display: grid; gap: .5rem; }
.kb-chat-form label { display: grid; gap: .2rem; font-size: .9rem; font-weight: 600; }
.kb-chat-form :is(input, select, textarea) { font: inherit; padding: .4rem .5rem; border: 1px solid var(--kb-border, #c5cad3); border-radius: 6px; background: var(--kb-bg, #fff); color: inherit; }
.kb-chat-panel .kb-chat-compose { display: flex; flex-direction: row; align-items: stretch; gap: .4rem; padding: .5rem; margin: 0; border-top: 1px solid var(--kb-border, #d5d9e0); }
.kb-chat-panel .kb-chat-compose button { flex: none; width: auto; margin: 0; }
.kb-chat-panel .kb-chat-compose textarea { flex: 1; width: auto; min-width: 0; height: 3.2rem; min-height: 0; margin: 0; resize: none; font: inherit; padding: .4rem .5rem; border: 1px solid var(--kb-border, #c5cad3); border-radius: 6px; background: var(--kb-bg, #fff); color: inherit; }
.kb-chat-panel button.kb-chat-primary { background: var(--kb-chat-accent); color: var(--kb-chat-on-accent); border: 0; border-radius: 6px; padding: .45rem .9rem; font: inherit; font-weight: 600; cursor: pointer; }
.kb-chat-panel button.kb-chat-secondary { background: none; border: 1px solid var(--kb-border, #c5cad3); border-radius: 6px; padding: .35rem .7rem; font: inherit; color: inherit; cursor: pointer; }
.kb-chat-actions { display: flex; flex-wrap: wrap; gap: .4rem; padding: 0 .5rem .5rem; }
.kb-chat-note { margin: 0; font-size: .9rem; }
.kb-chat-hours ul { list-style: none; margin: .25rem 0 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0 1rem; font-size: .85rem; }
.kb-chat-hours li span:first-child { display: inline-block; min-width: 2.5em; font-weight: 600; }
.kb-chat-note.kb-chat-alert { color: #b42318; }
.kb-chat-field-error { color: #b42318; font-weight: 400; font-size: .8rem; }
@media (max-width: 30rem) {
  .kb-chat-launcher .kb-chat-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .kb-chat-launcher { padding: .8rem; }
  .kb-chat-panel { position: fixed; left: .5rem; right: .5rem; bottom: 4.5rem; width: auto; height: calc(100vh - 6rem); }
  @supports (height: 100dvh) { .kb-chat-panel { height: calc(100dvh - 6rem); } }
}
@media print { .kb-chat { display: none !important; } }`;
  document.head.append(style);
}

function bubbleIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z');
  svg.append(path);
  return svg;
}

export function mountChat(element, context) {
  if (!apiAvailable(context)) return;
  const t = chatText(context.lang);
  const api = apiClient(context.api);
  const storeKey = `${STORE_KEY}:${api.root}`;
  const ui = { element, config: null, chat: null, log: new MessageLog(), source: null, retryTimer: null,
    pending: readJson('sessionStorage', PENDING_KEY, []), unread: 0, typingSent: 0, view: null };

  addStyles();
  const launcherLabel = h('span', { class: 'kb-chat-label' }, t('open'));
  const badge = h('span', { class: 'kb-chat-badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h('button', { type: 'button', class: 'kb-chat-launcher', 'aria-expanded': 'false', 'aria-controls': 'kb-chat-panel', 'aria-label': t('open') },
    bubbleIcon(), launcherLabel, badge);
  const title = h('h2', { id: 'kb-chat-title' }, t('title'));
  const subtitle = h('p', { class: 'kb-chat-agent', 'aria-live': 'polite' });
  const closeButton = h('button', { type: 'button', class: 'kb-chat-close', 'aria-label': t('close') }, '×');
  const body = h('div', { class: 'kb-chat-body', tabindex: '0' });   // scrollable: reachable by keyboard
  const footer = h('div', { class: 'kb-chat-footer' });
  const panel = h('div', { id: 'kb-chat-panel', class: 'kb-chat-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kb-chat-title', hidden: true },
    h('div', { class: 'kb-chat-head' }, h('div', { style: null }, title, subtitle), closeButton), body, footer);

  function isOpen() { return !panel.hidden; }

  function showUnread(count) {
    ui.unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    launcher.setAttribute('aria-label', count ? `${t('open')} (${t('new_messages', { n: count })})` : t('open'));
  }

  function openPanel(focus = true) {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    writeJson('sessionStorage', OPEN_KEY, true);
    showUnread(0);
    if (ui.chat) {
      if (focus) setTimeout(focusFirst, 0);
      return;
    }
    focusFirst();
    // availability may have changed since the page loaded
    refreshConfig().then(() => {
      if (ui.chat || panel.hidden) return;
      const typing = panel.contains(document.activeElement) && document.activeElement.value;
      if (!typing) { render(); if (focus) focusFirst(); }
    });
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    writeJson('sessionStorage', OPEN_KEY, false);
    launcher.focus();
  }

  function focusFirst() {
    const target = panel.querySelector('.kb-chat-body input, .kb-chat-body select, .kb-chat-body textarea, .kb-chat-compose textarea, .kb-chat-body button') || closeButton;
    target.focus();
  }

  launcher.addEventListener('click', () => (isOpen() ? closePanel() : openPanel()));
  closeButton.addEventListener('click', closePanel);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); closePanel(); }
  });

  async function refreshConfig() {
    try {
      ui.config = await api.get(`/chat/config?lang=${encodeURIComponent(context.lang)}`);
    } catch (error) {
      ui.config = ui.config || null;
    }
    return ui.config;
  }

  function note(text, alert = false) {
    return h('p', { class: `kb-chat-note${alert ? ' kb-chat-alert' : ''}`, role: alert ? 'alert' : 'status' }, text);
  }

  function field(name, label, attributes = {}) {
    const id = `kb-chat-${name}`;
    const control = attributes.tag === 'textarea'
      ? h('textarea', { id, name, rows: 3, required: true, maxlength: 4000 })
      : h('input', { id, name, type: attributes.type || 'text', required: true, autocomplete: attributes.autocomplete, maxlength: attributes.maxlength || 120 });
    return h('label', { for: id }, label, control);
  }

  function departmentField() {
    const departments = ui.config.departments || [];
    if (departments.length < 2) return null;
    return h('label', { for: 'kb-chat-department' }, t('department'),
      h('select', { id: 'kb-chat-department', name: 'department' }, departments.map((d) => h('option', { value: d.id }, d.label))));
  }

  function showErrors(form, error) {
    for (const old of form.querySelectorAll('.kb-chat-field-error, .kb-chat-alert')) old.remove();
    const placed = [];
    for (const { field: name, reason } of error.fields || []) {
      const input = form.querySelector(`[name="${name}"]`);
      if (!input) continue;
      input.setAttribute('aria-invalid', 'true');
      input.closest('label').append(h('span', { class: 'kb-chat-field-error' }, reason));
      placed.push(input);
    }
    if (placed.length) placed[0].focus();
    else form.append(note(error.offline ? t('offline_send') : (error.message || t('error')), true));
  }

  function setFooter(...nodes) { footer.replaceChildren(...nodes.filter(Boolean)); }

  // --- views ---
  function render() {
    const config = ui.config;
    if (ui.chat) return renderChat();
    subtitle.textContent = '';
    if (!config) { body.replaceChildren(note(t('error'), true)); setFooter(); return; }
    if (!config.available) return renderLeaveMessage(config.open ? t('nobody_online') : t('closed_now'));
    renderStart();
  }

  function renderStart() {
    const config = ui.config;
    const welcome = h('ul', { class: 'kb-chat-log' }, h('li', { class: 'kb-chat-system kb-chat-welcome' }, config.welcome));
    const form = h('form', { class: 'kb-chat-form', novalidate: true },
      config.prechat_fields.includes('name') ? field('name', t('name'), { autocomplete: 'name' }) : null,
      config.prechat_fields.includes('email') ? field('email', t('email'), { type: 'email', autocomplete: 'email', maxlength: 254 }) : null,
      departmentField(),
      h('button', { type: 'submit', class: 'kb-chat-primary' }, t('start')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      button.textContent = t('starting');
      const data = { lang: context.lang, page: location.pathname.slice(0, 300) };
      for (const name of ['name', 'email', 'department']) if (form.elements[name] && form.elements[name].value) data[name] = form.elements[name].value.trim();
      try {
        const started = await api.post('/chat/chats', data, { 'Idempotency-Key': randomId() });
        ui.chat = { id: started.id, token: started.token, status: started.status };
        writeJson('localStorage', storeKey, { id: started.id, token: started.token });
        ui.log = new MessageLog();
        ui.log.add(started.welcome);
        renderChat();
        connect();
        setTimeout(focusFirst, 0);
      } catch (error) {
        button.disabled = false;
        button.textContent = t('start');
        if (error.code === 'chat_unavailable') { await refreshConfig(); render(); return; }
        showErrors(form, error);
      }
    });
    body.replaceChildren(welcome, form);
    setFooter();
  }

  function renderLeaveMessage(reason) {
    const config = ui.config;
    const guest = !config.signed_in;
    const form = h('form', { class: 'kb-chat-form', novalidate: true },
      note(`${reason} ${t('leave_hint')}`),
      openingHours(config.hours, context.lang, t),
      guest ? field('name', t('name'), { autocomplete: 'name' }) : null,
      guest ? field('email', t('email'), { type: 'email', autocomplete: 'email', maxlength: 254 }) : null,
      departmentField(),
      field('body', t('your_message'), { tag: 'textarea' }),
      h('button', { type: 'submit', class: 'kb-chat-primary' }, t('leave_send')));
    const key = randomId();
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = { lang: context.lang, page: location.pathname.slice(0, 300), body: form.elements.body.value };
      for (const name of ['name', 'email', 'department']) if (form.elements[name] && form.elements[name].value) data[name] = form.elements[name].value.trim();
      try {
        const ticket = await api.post('/chat/leave-message', data, { 'Idempotency-Key': key });
        body.replaceChildren(note(t('left', { n: ticket.number })));
        setTimeout(focusFirst, 0);
      } catch (error) { showErrors(form, error); }
    });
    title.textContent = t('offline_title');
    body.replaceChildren(form);
    setFooter();
  }

  function messageItem(message) {
    const kind = message.kind === 'customer' ? 'customer' : (message.kind === 'agent' ? 'agent' : 'system');
    const who = kind === 'customer' ? t('you') : (message.author_name || t('agent'));
    const item = h('li', { class: `kb-chat-${kind}${message.seq === 1 ? ' kb-chat-welcome' : ''}`, 'data-seq': message.seq },
      kind === 'system' ? null : h('span', { class: 'kb-chat-who' }, who), sanitizedHtml(message.body_html));
    return item;
  }

  function renderChat() {
    const chat = ui.chat;
    title.textContent = t('title');
    const list = h('ul', { class: 'kb-chat-log' });
    for (const message of ui.log.ordered()) list.append(messageItem(message));
    for (const pending of ui.pending) {
      list.append(h('li', { class: 'kb-chat-customer kb-chat-pending', 'data-key': pending.key }, h('span', { class: 'kb-chat-who' }, t('sending')), pending.text));
    }
    const status = h('p', { class: 'kb-chat-status kb-chat-note', role: 'status' });
    const typing = h('p', { class: 'kb-chat-typing', 'aria-live': 'polite' });
    const extra = h('div', { class: 'kb-chat-extra' });
    body.replaceChildren(h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('title') }, list), status, typing, extra);
    ui.view = { list, status, typing, extra };
    const live = chat.status === 'waiting' || chat.status === 'active';
    if (live) {
      const input = h('textarea', { id: 'kb-chat-input', name: 'body', rows: 2, maxlength: 4000, 'aria-label': t('message'), placeholder: t('message') });
      const compose = h('form', { class: 'kb-chat-compose', novalidate: true }, input, h('button', { type: 'submit', class: 'kb-chat-primary' }, t('send')));
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); compose.requestSubmit(); }
      });
      input.addEventListener('input', () => {
        if (input.value && Date.now() - ui.typingSent > TYPING_EVERY_MS) {
          ui.typingSent = Date.now();
          api.post(`/chat/chats/${encodeURIComponent(chat.id)}/typing`, undefined, tokenHeader()).catch(() => {});
        }
      });
      compose.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        input.value = '';
        queueSend(text);
      });
      setFooter(compose, h('div', { class: 'kb-chat-actions' },
        h('button', { type: 'button', class: 'kb-chat-secondary', onclick: endChat }, t('end'))));
    } else {
      setFooter(h('div', { class: 'kb-chat-actions' },
        h('button', { type: 'button', class: 'kb-chat-secondary', onclick: emailTranscript }, t('transcript')),
        h('button', { type: 'button', class: 'kb-chat-primary', onclick: newChat }, t('new_chat'))));
    }
    applyState(chat);
    scrollDown();
  }

  function scrollDown() { body.scrollTop = body.scrollHeight; }

  function tokenHeader(extra = {}) { return { 'X-Chat-Token': ui.chat.token, ...extra }; }

  function addMessage(message) {
    if (!ui.log.add(message)) return;
    if (message.kind === 'customer') {   // our own message came back: drop its "sending" placeholder
      const index = ui.pending.findIndex((p) => p.text === message.body);
      if (index >= 0) removePending(ui.pending[index].key);
    }
    if (!ui.view) return;
    const item = messageItem(message);
    const later = [...ui.view.list.querySelectorAll('li[data-seq]')].find((li) => Number(li.dataset.seq) > message.seq);
    const firstPending = ui.view.list.querySelector('li.kb-chat-pending');
    ui.view.list.insertBefore(item, later || firstPending || null);
    if (!isOpen() && message.kind !== 'customer') showUnread(ui.unread + 1);
    scrollDown();
  }

  function removePending(key) {
    ui.pending = ui.pending.filter((p) => p.key !== key);
    writeJson('sessionStorage', PENDING_KEY, ui.pending.length ? ui.pending : null);
    const placeholder = ui.view && ui.view.list.querySelector(`li[data-key="${key}"]`);
    if (placeholder) placeholder.remove();
  }

  function applyState(state) {
    const wasLive = ui.chat && (ui.chat.status === 'waiting' || ui.chat.status === 'active');
    ui.chat = { ...ui.chat, ...state };
    const chat = ui.chat;
    const isLive = chat.status === 'waiting' || chat.status === 'active';
    if (wasLive && !isLive) { disconnect(); renderChat(); return; }
    if (!ui.view) return;
    subtitle.textContent = chat.status === 'active' && chat.agent_name ? t('with_agent', { name: chat.agent_name }) : '';
    ui.view.status.textContent = chat.status === 'waiting' ? t('waiting') : (isLive ? '' : t('ended'));
    ui.view.typing.textContent = chat.staff_typing ? t('typing', { name: chat.agent_name || t('agent') }) : '';
    const offer = ui.view.extra.querySelector('.kb-chat-unanswered');
    if (chat.status === 'waiting' && chat.unanswered && !offer) {
      ui.view.extra.append(h('div', { class: 'kb-chat-unanswered' }, note(t('unanswered')),
        h('button', { type: 'button', class: 'kb-chat-secondary', onclick: chatToTicket }, t('leave_instead'))));
    } else if (offer && !(chat.status === 'waiting' && chat.unanswered)) offer.remove();
  }

  // --- sending: one Idempotency-Key per message, kept until the server has it ---
  function queueSend(text) {
    const pending = { key: randomId(), text };
    ui.pending.push(pending);
    writeJson('sessionStorage', PENDING_KEY, ui.pending);
    if (ui.view) ui.view.list.append(h('li', { class: 'kb-chat-customer kb-chat-pending', 'data-key': pending.key }, h('span', { class: 'kb-chat-who' }, t('sending')), text));
    scrollDown();
    deliver(pending);
  }

  async function deliver(pending, attempt = 0) {
    if (!ui.chat) return;
    try {
      const message = await api.post(`/chat/chats/${encodeURIComponent(ui.chat.id)}/messages`, { body: pending.text }, tokenHeader({ 'Idempotency-Key': pending.key }));
      removePending(pending.key);
      addMessage(message);
    } catch (error) {
      if (error.offline || error.status === 429 || error.status >= 500) {
        const placeholder = ui.view && ui.view.list.querySelector(`li[data-key="${pending.key}"] .kb-chat-who`);
        if (placeholder) placeholder.textContent = t('offline_send');
        setTimeout(() => deliver(pending, attempt + 1), Math.min(1000 * 2 ** attempt, 15000));
      } else {
        removePending(pending.key);
        if (ui.view) ui.view.extra.append(note(error.message || t('error'), true));
      }
    }
  }

  // --- the event stream (with polling when a stream cannot be opened) ---
  function isLive() { return Boolean(ui.chat) && (ui.chat.status === 'waiting' || ui.chat.status === 'active'); }

  async function connect() {
    disconnect();
    if (!isLive()) return;
    if (serviceWorkerControlled()) { poll(); return; }
    const chatId = ui.chat.id;
    try {
      // an HttpOnly cookie for this chat's stream, so the secret token never appears in a URL
      await api.post(`/chat/chats/${encodeURIComponent(chatId)}/stream-access`, undefined, tokenHeader());
    } catch (error) {
      if (error.status === 404) { forget(); render(); return; }
      ui.retryTimer = setTimeout(connect, 2000);
      return;
    }
    if (!ui.chat || ui.chat.id !== chatId || ui.source) return;
    const url = `${api.root}/chat/chats/${encodeURIComponent(chatId)}/events?after=${ui.log.lastSeq}`;
    const source = new EventSource(url, { withCredentials: true });
    ui.source = source;
    let opened = false;
    const alive = () => { ui.lastEventAt = Date.now(); };
    source.addEventListener('open', () => { opened = true; alive(); });
    source.addEventListener('message', (event) => { alive(); addMessage(JSON.parse(event.data)); });
    source.addEventListener('state', (event) => { alive(); applyState(JSON.parse(event.data)); });
    source.addEventListener('ping', alive);
    source.addEventListener('gone', () => { disconnect(); forget(); render(); });
    source.addEventListener('error', () => {
      if (ui.source !== source) return;
      // a service worker that took over meanwhile would hold the browser's automatic reconnection
      if (serviceWorkerControlled()) { disconnect(); poll(); return; }
      // the browser retries by itself with Last-Event-ID; if it gives up, start over from the last seq we have
      if (source.readyState === EventSource.CLOSED) ui.retryTimer = setTimeout(connect, 2000);
    });
    // the server writes at least every 15 s; a longer silence is a stalled connection
    ui.watchdog = setInterval(() => {
      if (ui.source === source && opened && Date.now() - ui.lastEventAt > STALL_MS) connect();
    }, 5000);
    // Something between us and the API (a proxy that buffers, a service worker that waits for the
    // whole body) can hold a stream forever; then ask for new messages every second instead.
    ui.fallbackTimer = setTimeout(() => {
      if (!opened && ui.source === source) {
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
    ui.polling = true;
    if (!isLive()) return;
    try {
      applyState(await catchUp());
    } catch (error) {
      if (error.status === 404) { disconnect(); forget(); render(); return; }
    }
    if (ui.polling && isLive()) ui.pollTimer = setTimeout(poll, POLL_MS);
  }

  function disconnect() {
    clearInterval(ui.watchdog);
    clearTimeout(ui.retryTimer);
    clearTimeout(ui.fallbackTimer);
    clearTimeout(ui.pollTimer);
    ui.polling = false;
    if (ui.source) ui.source.close();
    ui.source = null;
  }

  function forget() {
    writeJson('localStorage', storeKey, null);
    writeJson('sessionStorage', PENDING_KEY, null);
    ui.chat = null;
    ui.pending = [];
    ui.view = null;
    ui.log = new MessageLog();
  }

  async function endChat() {
    try {
      applyState(await api.post(`/chat/chats/${encodeURIComponent(ui.chat.id)}/close`, undefined, tokenHeader()));
    } catch (error) { if (ui.view) ui.view.extra.append(note(error.message || t('error'), true)); }
  }

  async function emailTranscript() {
    try {
      const sent = await api.post(`/chat/chats/${encodeURIComponent(ui.chat.id)}/transcript`, undefined, tokenHeader());
      ui.view.extra.append(note(t('transcript_sent', { email: sent.sent_to })));
    } catch (error) { ui.view.extra.append(note(error.message || t('error'), true)); }
  }

  async function chatToTicket() {
    try {
      const ticket = await api.post(`/chat/chats/${encodeURIComponent(ui.chat.id)}/ticket`, {}, tokenHeader({ 'Idempotency-Key': randomId() }));
      await catchUp();
      applyState({ status: 'missed', ticket_id: ticket.ticket_id });
      ui.view.extra.append(note(t('turned_ticket', { n: ticket.number })));
    } catch (error) { ui.view.extra.append(note(error.message || t('error'), true)); }
  }

  async function newChat() {
    disconnect();
    forget();
    await refreshConfig();
    render();
    setTimeout(focusFirst, 0);
  }

  async function catchUp() {
    const data = await api.request('GET', `/chat/chats/${encodeURIComponent(ui.chat.id)}?after=${ui.log.lastSeq}`, { headers: tokenHeader() });
    for (const message of data.messages) addMessage(message);
    return data.chat;
  }

  // --- start: resume a stored chat, else just show the button ---
  async function resume() {
    const stored = readJson('localStorage', storeKey, null);
    if (!stored || typeof stored.id !== 'string' || typeof stored.token !== 'string') return false;
    ui.chat = { id: stored.id, token: stored.token, status: 'waiting' };
    try {
      const data = await api.request('GET', `/chat/chats/${encodeURIComponent(stored.id)}?after=0`, { headers: tokenHeader() });
      ui.chat = { ...ui.chat, ...data.chat };
      for (const message of data.messages) ui.log.add(message);
      return true;
    } catch (error) {
      if (error.status === 404) forget();
      else ui.chat = null;
      return false;
    }
  }

  (async () => {
    const [config, resumed] = await Promise.all([refreshConfig(), resume()]);
    if (!config || (!config.enabled && !resumed)) return;
    element.style.setProperty('--kb-chat-accent', config.accent);
    element.style.setProperty('--kb-chat-on-accent', textColourFor(config.accent));
    element.dataset.position = config.position;
    element.replaceChildren(launcher, panel);
    render();
    if (resumed) {
      for (const pending of ui.pending) deliver(pending);
      connect();
      if (readJson('sessionStorage', OPEN_KEY, false)) openPanel(false);
    }
  })();
}

registerMount('chat', mountChat);
