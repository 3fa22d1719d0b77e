// The tickets app page (<lang>/tickets/): the request form built from /api/config/tickets, article
// suggestions while the subject is typed, the signed-in customer's tickets, and one ticket's
// progress and conversation (by account, or by the private link #ticket=ID&key=KEY).

import { onReady, pageContext, portalUrl, registerMount } from './core.js';
import { apiClient, randomId } from './api-client.js';
import { formEntries, indexedDbStore, sharedQueue } from './queue.js';
import { formatDate, h, notice, portalText, sanitizedHtml, showFieldErrors } from './portal-ui.js';
import { uiText } from './strings.js';
import { languageIndex } from './search-index.js';
import { queryUnits } from './tokenizer.js';
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
  const clauses = queryUnits(subject);
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

// Words of the offline-resend flow and of the form's own checks (js_resend_* in the i18n files;
// the rest of the page's words are js_portal_*).
function resendText(lang) {
  return uiText('resend', lang);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// The form's own rules, checked before sending or queueing: the same ones the server applies
// (required fields, lengths, departments, each department's required fields), so a submission
// made offline is not accepted here only to be refused when the connection returns.
// `values` maps field names to strings; returns [{field, reason}] like the API's 422.
export function validateTicket(config, values, { signedIn = false, lang = 'en' } = {}) {
  const r = resendText(lang);
  const problems = [];
  const text = (name) => String(values[name] ?? '').trim();
  const need = (name, max) => {
    const value = text(name);
    if (!value) problems.push({ field: name, reason: r('required') });
    else if (max && value.length > max) problems.push({ field: name, reason: r('too_long', { n: max }) });
    return value;
  };
  if (!signedIn) {
    const email = need('email', 254);
    if (email && !EMAIL.test(email)) problems.push({ field: 'email', reason: r('bad_email') });
  }
  need('subject', config.subject_max);
  need('body', config.body_max);
  const known = (config.departments || []).map((d) => d.id).filter(Boolean);
  const department = text('department');
  if (known.length > 1 || (known.length === 1 && department)) {
    if (!department) problems.push({ field: 'department', reason: r('required') });
    else if (!known.includes(department)) problems.push({ field: 'department', reason: r('bad_choice') });
  }
  for (const field of config.fields || []) {
    if (field.departments && field.departments.length && !field.departments.includes(department)) continue;
    const name = `field.${field.name}`;
    const value = text(name);
    if (field.type === 'checkbox') {
      if (field.required && !['on', 'true', '1', 'yes'].includes(value)) problems.push({ field: name, reason: r('must_check') });
      continue;
    }
    if (!value) {
      if (field.required) problems.push({ field: name, reason: r('required') });
      continue;
    }
    if (field.max_length && value.length > field.max_length) problems.push({ field: name, reason: r('too_long', { n: field.max_length }) });
    else if (field.type === 'select' && !(field.options || []).some((o) => o.value === value)) problems.push({ field: name, reason: r('bad_choice') });
    else if (field.type === 'email' && !EMAIL.test(value)) problems.push({ field: name, reason: r('bad_email') });
    else if (field.type === 'number' && !/^-?\d{1,15}(\.\d{1,6})?$/.test(value)) problems.push({ field: name, reason: r('bad_number') });
  }
  return problems;
}

function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled || element.type === 'file') continue;
    if (element.type === 'checkbox') values[element.name] = element.checked ? 'on' : '';
    else values[element.name] = element.value;
  }
  return values;
}

// One Idempotency-Key per submission, kept in this tab across retries and reloads until the
// server has the ticket (or the queue holds it): pressing Send again after an error or a lost
// answer can never create a second ticket.
function submissionKey(lang) {
  const name = `kb-ticket-submission:${lang}`;
  const store = globalThis.sessionStorage;
  return {
    get() {
      let id = null;
      try { id = store.getItem(name); } catch (error) { id = null; }
      if (!id) {
        id = randomId();
        try { store.setItem(name, id); } catch (error) { /* storage disabled: one key per page view */ }
      }
      return id;
    },
    set(id) { try { store.setItem(name, id); } catch (error) { /* see above */ } },
    done() { try { store.removeItem(name); } catch (error) { /* see above */ } },
  };
}

function fillForm(form, entries) {
  for (const { name, value } of entries) {
    if (typeof value !== 'string') continue;
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input || input.type === 'file' || input.type === 'hidden') continue;
    if (input.type === 'checkbox') input.checked = ['on', 'true', '1', 'yes'].includes(value);
    else input.value = value;
  }
}

function statusLabel(status, t) {
  return h('span', { class: `kb-status kb-status-${status}` }, t(`status_${status}`));
}

// The form must work while the API is unreachable (the submission then waits in the queue), so
// the last config seen is kept; without one, the rules the build embedded in the page (the same
// [tickets] settings the API reads); without those (a build without the API extra), a minimal
// form (the server picks the department, and a refused replay is kept for the user to fix).
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
    return embeddedTicketConfig() || FALLBACK_CONFIG;
  }
}

export function embeddedTicketConfig(doc = globalThis.document) {
  try {
    const element = doc && doc.getElementById('kb-mounts');
    const form = JSON.parse((element && element.textContent) || '{}').ticket_form;
    return form && Array.isArray(form.departments) && form.departments.length ? form : null;
  } catch (error) {
    return null;
  }
}

async function renderForm(element, context, api, session, t) {
  const config = await ticketConfig(api, context.lang, globalThis.localStorage);
  const queue = sharedQueue(api);
  const user = session.user;
  const suggestions = suggestionBox(context, t);
  // always has a value (the first department), so no `required`: HTML wants a placeholder first then
  const department = h('select', { id: 'kb-t-department', name: 'department' },
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
  const r = resendText(context.lang);
  const key = submissionKey(context.lang);
  // a submission the server refused after an offline period comes back into the form to be fixed
  let resuming = null;
  const refused = (await queue.failed().catch(() => [])).filter((item) => item.kind === 'ticket');
  if (refused.length) {
    resuming = refused.find((item) => location.hash === `#resume=${item.id}`) || refused[0];
    fillForm(form, resuming.entries || []);
    showDepartmentFields();
    key.set(resuming.id);   // the same submission: it keeps its key
    showFieldErrors(form, { message: resuming.failed.message, fields: resuming.failed.fields }, t);
    result.append(h('div', { class: 'kb-notice kb-notice-error kb-refused', role: 'alert' },
      h('p', {}, r('refused_form'), ' ', resuming.failed.message),
      h('p', {}, h('button', { type: 'button', class: 'kb-discard', onclick: async () => {
        await queue.discard(resuming.id);
        key.done();
        resuming = null;
        form.reset();
        showDepartmentFields();
        showFieldErrors(form, null, t);
        result.replaceChildren();
      } }, r('discard')))));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    const problems = validateTicket(config, formValues(form), { signedIn: Boolean(user), lang: context.lang });
    if (problems.length) {
      showFieldErrors(form, { message: r('check_fields'), fields: problems }, t);
      const first = form.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
      return;
    }
    button.disabled = true;
    result.replaceChildren();
    try {
      const data = new FormData(form);
      let entries = formEntries(data);
      // files of a refused submission cannot be put back into the file input: they are resent
      // from the saved copy unless the user chose new ones
      if (resuming && !entries.some((e) => e.name === 'attachments')) {
        entries = entries.concat((resuming.entries || []).filter((e) => e.name === 'attachments'));
      }
      let outcome;
      try {
        outcome = await queue.submit({ id: key.get(), kind: 'ticket', path: '/tickets', entries, page: location.pathname });
      } catch (error) {
        // the key already created a ticket with other content (sent, answer lost, then edited):
        // this is a new submission, so it gets a new key
        if (error.code !== 'idempotency_key_reused') throw error;
        key.done();
        outcome = await queue.submit({ id: key.get(), kind: 'ticket', path: '/tickets', entries, page: location.pathname });
      }
      showFieldErrors(form, null, t);
      // sent (or queued again under another key): the refused copy has done its job
      if (resuming && (!outcome.queued || resuming.id !== outcome.id)) await queue.discard(resuming.id);
      resuming = null;
      key.done();
      if (outcome.queued) result.append(notice(t('offline_queued')));
      else showCreated(result, outcome.result, t);
      form.reset();
      showDepartmentFields();
    } catch (error) {
      showFieldErrors(form, error, t);   // the key is kept: sending again is the same submission
    } finally {
      button.disabled = false;
    }
  });
  queue.subscribe((event) => {
    if (event.item.kind !== 'ticket') return;
    if (event.type === 'sent') showCreated(result, event.result, t);
    if (event.type === 'failed') {
      // refused while this page is open: back into the form, to be fixed and sent again
      resuming = event.item;
      fillForm(form, event.item.entries || []);
      showDepartmentFields();
      key.set(event.item.id);
      showFieldErrors(form, { message: event.item.failed.message, fields: event.item.failed.fields }, t);
      result.replaceChildren(notice(`${r('refused_form')} ${event.error.message}`, 'error'));
    }
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
  if (ticket.status === 'solved' || ticket.status === 'closed') section.append(await satisfactionBox(api, ticket, headers, t));
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
  const close = h('p', {}, h('button', { type: 'button', class: 'kb-button-secondary kb-close-ticket', onclick: async () => {
    try {
      await api.request('POST', `/tickets/${encodeURIComponent(ticket.id)}/close`, { headers });
      element.replaceChildren(await renderTicket(element, context, api, ref, t));
    } catch (error) { result.replaceChildren(notice(error.message || t('error_generic'), 'error')); }
  } }, t('close_ticket')));
  section.append(form, result, h('h3', {}, t('close_heading')), h('p', { class: 'kb-muted' }, t('close_hint')), close);
  return section;
}

// Good or bad, with a comment, once the ticket is solved (rating again changes the answer).
async function satisfactionBox(api, ticket, headers, t) {
  const path = `/tickets/${encodeURIComponent(ticket.id)}/satisfaction`;
  const saved = await api.request('GET', path, { headers }).catch(() => ({ rating: null, comment: '' }));
  const status = h('p', { class: 'kb-rating-status', role: 'status' }, saved.rating ? t('rated') : '');
  const form = h('form', { class: 'kb-satisfaction', novalidate: true },
    h('fieldset', { class: 'kb-field' }, h('legend', {}, t('rate_question')),
      ['good', 'bad'].map((value) => h('label', { class: 'kb-field-checkbox' },
        h('input', { type: 'radio', name: 'rating', value, checked: saved.rating === value, required: true }), t(`rate_${value}`)))),
    h('p', { class: 'kb-field' }, h('label', { for: 'kb-s-comment' }, t('rate_comment'), ' ', h('span', { class: 'kb-muted' }, `(${t('optional')})`)),
      h('textarea', { id: 'kb-s-comment', name: 'comment', rows: 3, maxlength: 2000 }, saved.comment || '')),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('rate_send'))), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const rating = form.elements.rating.value;
    if (!rating) { showFieldErrors(form, { message: t('rate_choose'), fields: [] }, t); return; }
    try {
      await api.request('PUT', path, { headers, body: { rating, comment: form.elements.comment.value } });
      showFieldErrors(form, null, t);
      status.textContent = t('rated');
    } catch (error) { showFieldErrors(form, error, t); }
  });
  return h('section', { class: 'kb-card kb-satisfaction-box' }, h('h3', {}, t('rate_title')), form);
}

export async function mountTickets(element, context) {
  const t = portalText(context.lang);
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
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

// On every other page: a submission saved offline and then refused by the server is announced,
// with a link back to the form it came from, where it waits to be fixed and sent again.
async function announceRefused() {
  if (typeof indexedDB === 'undefined' || document.querySelector('[data-kb-mount="tickets"], .kb-refused-banner')) return;
  if (indexedDB.databases) {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes('kbgen-queue')) return;   // never create the database just to look
  }
  const refused = (await indexedDbStore().all()).filter((item) => item.failed);
  if (!refused.length) return;
  const context = pageContext();
  const r = resendText(context.lang);
  const banner = h('div', { class: 'kb-notice kb-notice-error kb-refused-banner', role: 'alert' },
    refused.map((item) => h('p', {}, r('refused_banner'), ' ', item.failed.message, ' ',
      item.kind === 'ticket' && item.page
        ? h('a', { href: `${item.page}#resume=${encodeURIComponent(item.id)}` }, r('fix_and_resend'))
        : h('button', { type: 'button', onclick: async (event) => {
          await indexedDbStore().remove(item.id);
          event.target.closest('p').remove();
        } }, r('discard')))));
  (document.querySelector('main') || document.body).prepend(banner);
}

if (typeof document !== 'undefined') onReady(() => { announceRefused().catch((error) => console.warn('kbgen queue:', error)); });
