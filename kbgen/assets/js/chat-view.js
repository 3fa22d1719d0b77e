// The live chat's DOM: the launcher button, the small non-modal dialog and what it shows (the
// pre-chat form, the leave-a-message form, the conversation). It reads the state it is given and
// reports what the visitor does through `actions`; it makes no requests. Its styles are in the
// design system's kbgen/assets/css/chat.css.

import { h, sanitizedHtml } from './portal-ui.js';
import { isLive } from './chat-state.js';

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

export function note(text, alert = false) {
  return h('p', { class: `kb-chat-note${alert ? ' kb-chat-alert' : ''}`, role: alert ? 'alert' : 'status' }, text);
}

function field(name, label, attributes = {}) {
  const id = `kb-chat-${name}`;
  const control = attributes.tag === 'textarea'
    ? h('textarea', { id, name, rows: 3, required: true, maxlength: 4000 })
    : h('input', { id, name, type: attributes.type || 'text', required: true, autocomplete: attributes.autocomplete, maxlength: attributes.maxlength || 120 });
  return h('label', { for: id }, label, control);
}

// The form's values the chat API takes (trimmed; empty ones left out).
export function formData(form, names, base) {
  const data = { ...base };
  for (const name of names) if (form.elements[name] && form.elements[name].value) data[name] = form.elements[name].value.trim();
  return data;
}

// actions: {toggle(), close(), submitStart(form, button), submitLeave(form), send(text), typing(),
//           end(), transcript(), newChat(), toTicket()}
export function chatView(element, t, lang, actions) {
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
  let log = null;   // {list, status, typing, extra} while a conversation is shown

  launcher.addEventListener('click', actions.toggle);
  closeButton.addEventListener('click', actions.close);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); actions.close(); }
  });

  function setFooter(...nodes) { footer.replaceChildren(...nodes.filter(Boolean)); }

  function departmentField(config) {
    const departments = config.departments || [];
    if (departments.length < 2) return null;
    return h('label', { for: 'kb-chat-department' }, t('department'),
      h('select', { id: 'kb-chat-department', name: 'department' }, departments.map((d) => h('option', { value: d.id }, d.label))));
  }

  function messageItem(message) {
    const kind = message.kind === 'customer' ? 'customer' : (message.kind === 'agent' ? 'agent' : 'system');
    const who = kind === 'customer' ? t('you') : (message.author_name || t('agent'));
    return h('li', { class: `kb-chat-${kind}${message.seq === 1 ? ' kb-chat-welcome' : ''}`, 'data-seq': message.seq },
      kind === 'system' ? null : h('span', { class: 'kb-chat-who' }, who), sanitizedHtml(message.body_html));
  }

  function pendingItem(pending) {
    return h('li', { class: 'kb-chat-customer kb-chat-pending', 'data-key': pending.key }, h('span', { class: 'kb-chat-who' }, t('sending')), pending.text);
  }

  const view = {
    // the launcher and panel go in once the chat is known to be on
    show(config) {
      element.style.setProperty('--kb-chat-accent', config.accent);
      element.style.setProperty('--kb-chat-on-accent', textColourFor(config.accent));
      element.dataset.position = config.position;
      element.replaceChildren(launcher, panel);
    },

    isOpen() { return !panel.hidden; },

    setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (!open) launcher.focus();
    },

    focusFirst() {
      const target = panel.querySelector('.kb-chat-body input, .kb-chat-body select, .kb-chat-body textarea, .kb-chat-compose textarea, .kb-chat-body button') || closeButton;
      target.focus();
    },

    // someone is typing in the panel: a re-render now would throw their words away
    busyTyping() {
      return panel.contains(document.activeElement) && document.activeElement.value;
    },

    showUnread(count) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
      launcher.setAttribute('aria-label', count ? `${t('open')} (${t('new_messages', { n: count })})` : t('open'));
    },

    showErrors(form, error) {
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
    },

    unavailable() {
      subtitle.textContent = '';
      log = null;
      body.replaceChildren(note(t('error'), true));
      setFooter();
    },

    start(config) {
      subtitle.textContent = '';
      log = null;
      const welcome = h('ul', { class: 'kb-chat-log' }, h('li', { class: 'kb-chat-system kb-chat-welcome' }, config.welcome));
      const button = h('button', { type: 'submit', class: 'kb-chat-primary' }, t('start'));
      const form = h('form', { class: 'kb-chat-form', novalidate: true },
        config.prechat_fields.includes('name') ? field('name', t('name'), { autocomplete: 'name' }) : null,
        config.prechat_fields.includes('email') ? field('email', t('email'), { type: 'email', autocomplete: 'email', maxlength: 254 }) : null,
        departmentField(config),
        button);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        actions.submitStart(form, button);
      });
      body.replaceChildren(welcome, form);
      setFooter();
    },

    starting(button, busy) {
      button.disabled = busy;
      button.textContent = t(busy ? 'starting' : 'start');
    },

    leaveMessage(config, reason) {
      subtitle.textContent = '';
      log = null;
      const guest = !config.signed_in;
      const form = h('form', { class: 'kb-chat-form', novalidate: true },
        note(`${reason} ${t('leave_hint')}`),
        openingHours(config.hours, lang, t),
        guest ? field('name', t('name'), { autocomplete: 'name' }) : null,
        guest ? field('email', t('email'), { type: 'email', autocomplete: 'email', maxlength: 254 }) : null,
        departmentField(config),
        field('body', t('your_message'), { tag: 'textarea' }),
        h('button', { type: 'submit', class: 'kb-chat-primary' }, t('leave_send')));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        actions.submitLeave(form);
      });
      title.textContent = t('offline_title');
      body.replaceChildren(form);
      setFooter();
    },

    left(ticket) {
      body.replaceChildren(note(t('left', { n: ticket.number })));
    },

    conversation(state) {
      title.textContent = t('title');
      const list = h('ul', { class: 'kb-chat-log' });
      for (const message of state.log.ordered()) list.append(messageItem(message));
      for (const pending of state.pending) list.append(pendingItem(pending));
      const status = h('p', { class: 'kb-chat-status kb-chat-note', role: 'status' });
      const typing = h('p', { class: 'kb-chat-typing', 'aria-live': 'polite' });
      const extra = h('div', { class: 'kb-chat-extra' });
      body.replaceChildren(h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('title') }, list), status, typing, extra);
      log = { list, status, typing, extra };
      if (isLive(state.chat)) {
        const input = h('textarea', { id: 'kb-chat-input', name: 'body', rows: 2, maxlength: 4000, 'aria-label': t('message'), placeholder: t('message') });
        const compose = h('form', { class: 'kb-chat-compose', novalidate: true }, input, h('button', { type: 'submit', class: 'kb-chat-primary' }, t('send')));
        input.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); compose.requestSubmit(); }
        });
        input.addEventListener('input', () => { if (input.value) actions.typing(); });
        compose.addEventListener('submit', (event) => {
          event.preventDefault();
          const text = input.value.trim();
          if (!text) return;
          input.value = '';
          actions.send(text);
        });
        setFooter(compose, h('div', { class: 'kb-chat-actions' },
          h('button', { type: 'button', class: 'kb-chat-secondary', onclick: actions.end }, t('end'))));
      } else {
        setFooter(h('div', { class: 'kb-chat-actions' },
          h('button', { type: 'button', class: 'kb-chat-secondary', onclick: actions.transcript }, t('transcript')),
          h('button', { type: 'button', class: 'kb-chat-primary', onclick: actions.newChat }, t('new_chat'))));
      }
      view.chatState(state.chat);
      view.scrollDown();
    },

    showsConversation() { return log !== null; },

    forget() { log = null; },

    scrollDown() { body.scrollTop = body.scrollHeight; },

    // a message in its place by sequence number, before the ones still being sent
    addMessage(message) {
      if (!log) return;
      const later = [...log.list.querySelectorAll('li[data-seq]')].find((li) => Number(li.dataset.seq) > message.seq);
      const firstPending = log.list.querySelector('li.kb-chat-pending');
      log.list.insertBefore(messageItem(message), later || firstPending || null);
      view.scrollDown();
    },

    addPending(pending) {
      if (log) log.list.append(pendingItem(pending));
      view.scrollDown();
    },

    removePending(key) {
      const placeholder = log && log.list.querySelector(`li[data-key="${key}"]`);
      if (placeholder) placeholder.remove();
    },

    retrying(key) {
      const who = log && log.list.querySelector(`li[data-key="${key}"] .kb-chat-who`);
      if (who) who.textContent = t('offline_send');
    },

    // a notice under the conversation (errors, "transcript sent", "saved as ticket …")
    extra(text, alert = false) {
      if (log) log.extra.append(note(text, alert));
    },

    chatState(chat) {
      if (!log) return;
      const live = isLive(chat);
      subtitle.textContent = chat.status === 'active' && chat.agent_name ? t('with_agent', { name: chat.agent_name }) : '';
      log.status.textContent = chat.status === 'waiting' ? t('waiting') : (live ? '' : t('ended'));
      log.typing.textContent = chat.staff_typing ? t('typing', { name: chat.agent_name || t('agent') }) : '';
      const offer = log.extra.querySelector('.kb-chat-unanswered');
      if (chat.status === 'waiting' && chat.unanswered && !offer) {
        log.extra.append(h('div', { class: 'kb-chat-unanswered' }, note(t('unanswered')),
          h('button', { type: 'button', class: 'kb-chat-secondary', onclick: actions.toTicket }, t('leave_instead'))));
      } else if (offer && !(chat.status === 'waiting' && chat.unanswered)) offer.remove();
    },
  };
  return view;
}
