// The tickets app page (<lang>/tickets/): the request form built from /api/config/tickets, article
// suggestions while the subject is typed, the signed-in customer's tickets, and one ticket's
// progress and conversation (by account, or by the private link #ticket=ID&key=KEY).

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { formEntries, sharedQueue } from './queue.js';
import { formatDate, h, notice, portalText, sanitizedHtml, showFieldErrors } from './portal-ui.js';
import { languageIndex } from './search-index.js';
import { queryTerms } from './tokenizer.js';
import { worthSearching } from './search-highlight.js';

const STATUSES = ['new', 'open', 'waiting', 'solved', 'closed'];

export function parseTicketHash(hash) {
  const params = new URLSearchParams((hash || '').replace(/^#/, ''));
  const id = params.get('ticket');
  return id ? { id, key: params.get('key') } : null;
}

function fieldId(name) {
  return `kb-t-${name.replace(/[^a-z0-9_-]/gi, '-')}`;
}

function labelled(id, label, required, t, control) {
  return h('p', { class: 'kb-field' },
    h('label', { for: id }, label, ' ', h('span', { class: 'kb-muted' }, `(${t(required ? 'required' : 'optional')})`)),
    control);
}

function customFieldControl(field, t) {
  const id = fieldId(`field-${field.name}`);
  const name = `field.${field.name}`;
  let control;
  if (field.type === 'textarea') control = h('textarea', { id, name, required: field.required, maxlength: field.max_length, rows: 4 });
  else if (field.type === 'select') {
    control = h('select', { id, name, required: field.required },
      h('option', { value: '' }, '—'), field.options.map((o) => h('option', { value: o.value }, o.label)));
  } else if (field.type === 'checkbox') {
    return h('p', { class: 'kb-field kb-field-checkbox', 'data-field': field.name },
      h('input', { type: 'checkbox', id, name, required: field.required }), ' ', h('label', { for: id }, field.label));
  } else {
    const type = { email: 'email', number: 'text', text: 'text' }[field.type] || 'text';
    control = h('input', { id, name, type, required: field.required, maxlength: field.max_length,
      inputmode: field.type === 'number' ? 'decimal' : null });
  }
  const wrapper = labelled(id, field.label, field.required, t, control);
  wrapper.dataset.field = field.name;
  return wrapper;
}

// Articles matching the subject, from the offline search index (none when it is unavailable).
async function suggestArticles(context, subject) {
  const clauses = queryTerms(subject);
  if (!worthSearching(clauses)) return [];
  const index = await languageIndex(context.root, context.lang);
  const results = (await index.search(clauses)).slice(0, 5);
  return index.documents(results.map((r) => r.ref));
}

function suggestionBox(context, t) {
  const box = h('div', { class: 'kb-suggestions', 'aria-live': 'polite', hidden: true });
  let timer = null;
  let latest = 0;
  const update = (subject) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++latest;
      let docs = [];
      try { docs = await suggestArticles(context, subject); } catch (error) { docs = []; }
      if (mine !== latest) return;
      box.replaceChildren();
      box.hidden = !docs.length;
      if (!docs.length) return;
      box.append(h('p', {}, t('suggestions')),
        h('ul', {}, docs.map((doc) => h('li', {}, h('a', { href: context.root + doc.url, target: '_blank', rel: 'noopener' }, doc.title)))));
    }, 250);
  };
  return { box, update };
}

function statusLabel(status, t) {
  return h('span', { class: `kb-status kb-status-${status}` }, t(`status_${status}`));
}

// The form must work while the API is unreachable (the submission then waits in the queue), so
// the last config seen is kept; without one, a minimal form (the server picks the department).
const FALLBACK_CONFIG = {
  departments: [{ id: '', label: '—' }], fields: [], subject_max: 200, body_max: 20000,
  attachments: { max_files: 5, max_file_bytes: 10485760, max_total_bytes: 26214400, allowed_types: [] },
};

export async function ticketConfig(api, lang, storage) {
  const key = `kb-ticket-config:${lang}`;
  try {
    const config = await api.get(`/config/tickets?lang=${encodeURIComponent(lang)}`);
    try { storage.setItem(key, JSON.stringify(config)); } catch (error) { /* storage full or disabled */ }
    return config;
  } catch (error) {
    if (!error.offline) throw error;
    try {
      const saved = JSON.parse(storage.getItem(key) || 'null');
      if (saved && Array.isArray(saved.departments)) return saved;
    } catch (parseError) { /* fall through */ }
    return FALLBACK_CONFIG;
  }
}

async function renderForm(element, context, api, session, t) {
  const config = await ticketConfig(api, context.lang, globalThis.localStorage);
  const queue = sharedQueue(api);
  const user = session.user;
  const suggestions = suggestionBox(context, t);
  const department = h('select', { id: 'kb-t-department', name: 'department', required: true },
    config.departments.map((d) => h('option', { value: d.id }, d.label)));
  const subject = h('input', { id: 'kb-t-subject', name: 'subject', required: true, maxlength: config.subject_max, autocomplete: 'off',
    oninput: (event) => suggestions.update(event.target.value) });
  const limits = config.attachments;
  const customs = config.fields.map((field) => customFieldControl(field, t));
  const form = h('form', { class: 'kb-ticket-form', novalidate: true },
    h('h2', {}, t('new_ticket')),
    user ? null : labelled('kb-t-email', t('email'), true, t, h('input', { id: 'kb-t-email', name: 'email', type: 'email', required: true, autocomplete: 'email' })),
    user ? null : labelled('kb-t-name', t('name'), false, t, h('input', { id: 'kb-t-name', name: 'name', autocomplete: 'name', maxlength: 120 })),
    labelled('kb-t-subject', t('subject'), true, t, subject),
    suggestions.box,
    config.departments.length > 1 ? labelled('kb-t-department', t('department'), true, t, department) : h('input', { type: 'hidden', name: 'department', value: config.departments[0].id }),
    customs,
    labelled('kb-t-body', t('message'), true, t, h('textarea', { id: 'kb-t-body', name: 'body', required: true, rows: 8, maxlength: config.body_max })),
    limits.max_files > 0 ? h('p', { class: 'kb-field' },
      h('label', { for: 'kb-t-attachments' }, t('attachments')),
      h('input', { id: 'kb-t-attachments', name: 'attachments', type: 'file', multiple: true, accept: limits.allowed_types.join(','), 'aria-describedby': 'kb-t-attachments-hint' }),
      h('span', { id: 'kb-t-attachments-hint', class: 'kb-muted' }, t('attachments_hint', { n: limits.max_files, size: Math.floor(limits.max_file_bytes / 1048576), types: limits.allowed_types.join(' ') }))) : null,
    h('input', { type: 'hidden', name: 'lang', value: context.lang }),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('submit_ticket'))));
  const showDepartmentFields = () => {
    const chosen = form.elements.department.value;
    config.fields.forEach((field, i) => {
      const visible = !field.departments.length || field.departments.includes(chosen);
      customs[i].hidden = !visible;
      for (const input of customs[i].querySelectorAll('input,select,textarea')) input.disabled = !visible;
    });
  };
  department.addEventListener('change', showDepartmentFields);
  showDepartmentFields();
  const result = h('div', { class: 'kb-ticket-result', 'aria-live': 'polite' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    result.replaceChildren();
    try {
      const data = new FormData(form);
      const outcome = await queue.submit({ kind: 'ticket', path: '/tickets', entries: formEntries(data) });
      showFieldErrors(form, null, t);
      if (outcome.queued) result.append(notice(t('offline_queued')));
      else showCreated(result, outcome.result, t);
      form.reset();
      showDepartmentFields();
    } catch (error) {
      showFieldErrors(form, error, t);
    } finally {
      button.disabled = false;
    }
  });
  queue.subscribe((event) => {
    if (event.item.kind !== 'ticket') return;
    if (event.type === 'sent') showCreated(result, event.result, t);
    if (event.type === 'failed') result.replaceChildren(notice(`${t('queued_failed')} ${event.error.message}`, 'error'));
  });
  return h('section', {}, form, result);
}

function showCreated(container, ticket, t) {
  const link = `#ticket=${encodeURIComponent(ticket.id)}&key=${encodeURIComponent(ticket.guest_key)}`;
  const absolute = new URL(link, location.href).href;
  container.replaceChildren(h('div', { class: 'kb-notice kb-notice-success', role: 'status' },
    h('p', {}, t('ticket_created', { n: ticket.number })),
    h('p', {}, t('private_link'), ' ', h('a', { href: link, class: 'kb-private-link' }, absolute)),
    h('p', {}, h('a', { href: link }, t('open_ticket')))));
}

// A guest's private key travels in a header, not in the link (URLs end up in logs and histories):
// the file is fetched and handed to the browser as a download.
function attachmentLink(api, file, key) {
  const url = api.root + file.url.replace(/^\/api/, '');
  const link = h('a', { href: url, download: file.filename }, file.filename);
  if (!key) return link;
  link.addEventListener('click', async (event) => {
    event.preventDefault();
    const response = await fetch(url, { credentials: 'include', headers: { 'X-Ticket-Key': key } });
    if (!response.ok) return;
    const objectUrl = URL.createObjectURL(await response.blob());
    const save = h('a', { href: objectUrl, download: file.filename });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(objectUrl), 60000);
  });
  return link;
}

async function renderList(context, api, t) {
  const { tickets } = await api.get('/tickets');
  return h('section', { class: 'kb-ticket-list' }, h('h2', {}, t('my_tickets')),
    tickets.length ? h('ul', {}, tickets.map((ticket) => h('li', {},
      h('a', { href: `#ticket=${encodeURIComponent(ticket.id)}` }, `${ticket.number} · ${ticket.subject}`), ' ',
      statusLabel(ticket.status, t), ' ', h('span', { class: 'kb-muted' }, formatDate(ticket.updated_at, context.lang)))))
      : h('p', {}, t('no_tickets')));
}

async function renderTicket(element, context, api, ref, t) {
  const headers = ref.key ? { 'X-Ticket-Key': ref.key } : {};
  let ticket;
  try {
    ticket = await api.request('GET', `/tickets/${encodeURIComponent(ref.id)}`, { headers });
  } catch (error) {
    return h('section', {}, notice(error.status === 404 ? t('not_found') : error.message, 'error'),
      h('p', {}, h('a', { href: '#' }, t('back_to_tickets'))));
  }
  const reached = new Set(ticket.history.map((step) => step.to));
  const progress = h('ol', { class: 'kb-ticket-progress' }, STATUSES.map((status) => h('li', {
    class: `${reached.has(status) ? 'kb-done' : ''} ${ticket.status === status ? 'kb-current' : ''}`.trim(),
    'aria-current': ticket.status === status ? 'step' : null,
  }, t(`status_${status}`))));
  const history = h('ul', { class: 'kb-ticket-history' }, ticket.history.map((step) => h('li', {},
    formatDate(step.at, context.lang), ' — ', statusLabel(step.to, t))));
  const conversation = h('ol', { class: 'kb-conversation' }, ticket.messages.map((message) => h('li', {
    class: `kb-message kb-message-${message.author_kind}`,
  }, h('p', { class: 'kb-message-meta' }, h('strong', {}, message.author_kind === 'agent' ? `${message.author_name} (${t('support')})` : t('you')),
    ' · ', formatDate(message.created_at, context.lang)),
  sanitizedHtml(message.body_html),
  message.attachments.length ? h('ul', { class: 'kb-attachments' }, message.attachments.map((file) => h('li', {},
    attachmentLink(api, file, ref.key)))) : null)));
  const section = h('section', { class: 'kb-ticket', 'data-ticket': ticket.id },
    h('p', {}, h('a', { href: '#' }, t('back_to_tickets'))),
    h('h2', {}, t('ticket', { n: ticket.number }), ': ', ticket.subject),
    h('p', {}, t('status'), ': ', statusLabel(ticket.status, t)),
    h('h3', {}, t('history')), progress, history,
    h('h3', {}, t('conversation')), conversation);
  if (ticket.status === 'closed') {
    section.append(notice(t('closed_note')));
    return section;
  }
  const queue = sharedQueue(api);
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'kb-reply-form', novalidate: true },
    h('h3', {}, t('reply')),
    h('p', { class: 'kb-field' }, h('label', { for: 'kb-r-body' }, t('your_message')), h('textarea', { id: 'kb-r-body', name: 'body', rows: 5, required: true })),
    h('p', { class: 'kb-field' }, h('label', { for: 'kb-r-attachments' }, t('attachments')), h('input', { id: 'kb-r-attachments', name: 'attachments', type: 'file', multiple: true })),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('send_reply'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const outcome = await queue.submit({ kind: 'reply', path: `/tickets/${encodeURIComponent(ticket.id)}/messages`,
        entries: formEntries(new FormData(form)), ...(ref.key ? { headers: headers } : {}) });
      if (outcome.queued) result.replaceChildren(notice(t('offline_queued')));
      else {
        result.replaceChildren(notice(t('reply_sent')));
        element.replaceChildren(await renderTicket(element, context, api, ref, t));
      }
      form.reset();
    } catch (error) {
      showFieldErrors(form, error, t);
    }
  });
  section.append(form, result);
  return section;
}

export async function mountTickets(element, context) {
  const t = portalText(context.lang);
  const api = apiClient(context.api);
  const render = async () => {
    element.replaceChildren(h('p', { class: 'kb-muted' }, t('loading')));
    try {
      const ref = parseTicketHash(location.hash);
      let session = { user: null };
      try {
        session = await api.session();
      } catch (error) {
        if (!error.offline || ref) throw error;   // unreachable: the form still works, as a guest
        api.forgetSession();
      }
      if (ref) {
        element.replaceChildren(await renderTicket(element, context, api, ref, t));
        return;
      }
      const parts = [await renderForm(element, context, api, session, t)];
      if (session.user) parts.push(await renderList(context, api, t).catch(() => ''));
      else parts.push(h('p', {}, t('sign_in_hint'), ' ', h('a', { href: portalUrl(context.lang, 'account') }, t('sign_in'))));
      element.replaceChildren(...parts);
    } catch (error) {
      element.replaceChildren(notice(error.offline ? t('api_unreachable') : (error.message || t('error_generic')), 'error'));
    }
  };
  window.addEventListener('hashchange', render);
  await render();
}

registerMount('tickets', (element, context) => { mountTickets(element, context); });
