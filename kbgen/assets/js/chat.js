// Live chat on every portal page: a button that opens a small non-modal dialog. A guest gives
// the pre-chat fields, a signed-in customer does not. Messages stream over Server-Sent Events;
// each carries its chat's sequence number, so a reconnect resumes after the last one shown and
// nothing appears twice. The chat id and its secret token live in localStorage, so the
// conversation survives reloads and moving to another article. When nobody is there (closed,
// no staff online, or nobody accepts in time) the visitor can leave a message, which becomes a ticket.

import { apiAvailable, registerMount } from './core.js';
import { apiClient, randomId } from './api-client.js';
import { uiText } from './strings.js';
import { addPending, chatState, dropPending, forgetChat, MessageLog, panelWasOpen, pendingFor, rememberPanelOpen, startedChat, storedChat, updateChat } from './chat-state.js';
import { chatTransport } from './chat-transport.js';
import { chatView, formData, openingHours, textColourFor } from './chat-view.js';
import { mountChatRating } from './chat-rating.js';

// the pieces node tests (chat.test.js) check
export { MessageLog, openingHours, textColourFor };

// The chat window's words (js_chat_* in the i18n files).
export function chatText(lang) {
  return uiText('chat', lang);
}

// Wires the three parts: state (chat-state.js), view (chat-view.js) and transport (chat-transport.js).
export function mountChat(element, context) {
  if (!apiAvailable(context)) return;
  const t = chatText(context.lang);
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
  const state = chatState(api.root);
  const page = () => ({ lang: context.lang, page: location.pathname.slice(0, 300) });
  const later = (callback) => setTimeout(callback, 0);

  const transport = chatTransport(api, state, context.lang, {
    message: addMessage,
    state: applyState,
    gone: () => { view.forget(); render(); },
    sent: (pending, message) => { view.removePending(pending.key); addMessage(message); },
    retrying: (pending) => view.retrying(pending.key),
    refused: (pending, error) => { view.removePending(pending.key); view.extra(error.message || t('error'), true); },
  });

  const view = chatView(element, t, context.lang, {
    toggle: () => (view.isOpen() ? closePanel() : openPanel()),
    close: closePanel,
    async submitStart(form, button) {
      view.starting(button, true);
      try {
        startedChat(state, await transport.start(formData(form, ['name', 'email', 'department'], page())));
        view.conversation(state);
        transport.connect();
        later(view.focusFirst);
      } catch (error) {
        view.starting(button, false);
        if (error.code === 'chat_unavailable') { await transport.refreshConfig(); render(); return; }
        view.showErrors(form, error);
      }
    },
    submitLeave: leaveMessage(),
    send(text) {
      const pending = { key: randomId(), text };
      addPending(state, pending);
      view.addPending(pending);
      transport.deliver(pending);
    },
    typing: transport.typing,
    ended(box, chat) {
      if (chat.status === 'closed') mountChatRating(box, { api, chatId: chat.id, headers: { 'X-Chat-Token': chat.token }, t });
    },
    async end() {
      try { applyState(await transport.close()); } catch (error) { view.extra(error.message || t('error'), true); }
    },
    async transcript() {
      try {
        const sent = await transport.transcript();
        view.extra(t('transcript_sent', { email: sent.sent_to }));
      } catch (error) { view.extra(error.message || t('error'), true); }
    },
    async newChat() {
      transport.disconnect();
      forgetChat(state);
      view.forget();
      await transport.refreshConfig();
      render();
      later(view.focusFirst);
    },
    async toTicket() {
      try {
        const ticket = await transport.toTicket();
        await transport.catchUp();
        applyState({ status: 'missed', ticket_id: ticket.ticket_id });
        view.extra(t('turned_ticket', { n: ticket.number }));
      } catch (error) { view.extra(error.message || t('error'), true); }
    },
  });

  // one Idempotency-Key per leave-message form shown, so sending it twice never makes two tickets
  function leaveMessage() {
    const keys = new WeakMap();
    return async (form) => {
      if (!keys.has(form)) keys.set(form, randomId());
      const data = { ...page(), body: form.elements.body.value };
      try {
        view.left(await transport.leaveMessage(formData(form, ['name', 'email', 'department'], data), keys.get(form)));
        later(view.focusFirst);
      } catch (error) { view.showErrors(form, error); }
    };
  }

  function render() {
    const config = state.config;
    if (state.chat) return view.conversation(state);
    if (!config) return view.unavailable();
    if (!config.available) return view.leaveMessage(config, config.open ? t('nobody_online') : t('closed_now'));
    return view.start(config);
  }

  function showUnread(count) {
    state.unread = count;
    view.showUnread(count);
  }

  function openPanel(focus = true) {
    view.setOpen(true);
    rememberPanelOpen(true);
    showUnread(0);
    if (state.chat) {
      if (focus) later(view.focusFirst);
      return;
    }
    view.focusFirst();
    // availability may have changed since the page loaded; the form is drawn again only if it
    // did, so that nothing the visitor typed or was told (a missing name…) is wiped by a late answer
    const before = JSON.stringify(state.config);
    transport.refreshConfig().then(() => {
      if (state.chat || !view.isOpen() || JSON.stringify(state.config) === before) return;
      if (!view.busyTyping()) { render(); if (focus) view.focusFirst(); }
    });
  }

  function closePanel() {
    view.setOpen(false);
    rememberPanelOpen(false);
  }

  function addMessage(message) {
    if (!state.log.add(message)) return;
    const mine = pendingFor(state, message);   // our own message came back: drop its "sending" entry
    if (mine) {
      dropPending(state, mine.key);
      view.removePending(mine.key);
    }
    if (!view.showsConversation()) return;
    view.addMessage(message);
    if (!view.isOpen() && message.kind !== 'customer') showUnread(state.unread + 1);
  }

  function applyState(update) {
    const { wasLive, live } = updateChat(state, update);
    if (wasLive && !live) { transport.disconnect(); view.conversation(state); return; }
    view.chatState(state.chat);
  }

  // --- start: resume a stored chat, else just show the button ---
  (async () => {
    const stored = storedChat(state);
    const [config, resumed] = await Promise.all([transport.refreshConfig(), stored ? transport.resume(stored) : false]);
    if (!config || (!config.enabled && !resumed)) return;
    view.show(config);
    render();
    if (resumed) {
      for (const pending of state.pending) transport.deliver(pending);
      transport.connect();
      if (panelWasOpen()) openPanel(false);
    }
  })();
}

registerMount('chat', mountChat);
