// Small DOM helpers and the UI strings of the portal hooks: tickets, account, rating.

import { translator, uiText } from './strings.js';

// The account, ticket and rating pages' words (js_portal_* in the i18n files).
export function portalText(lang) {
  return uiText('portal', lang);
}

// agent pages import translator from here
export { translator };

// h('p', {class: 'x'}, 'text', child): text always goes in as text, never as HTML.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Only for *_html fields the API has already sanitized with nh3 (portal hooks and agent pages).
export function sanitizedHtml(html, className = 'kb-user-text') {
  const wrapper = document.createElement('div');
  wrapper.className = className;
  wrapper.innerHTML = html;
  return wrapper;
}

// <time datetime> takes at most 3 fraction digits; the API sends Python's 6.
export function htmlDatetime(iso) {
  return typeof iso === 'string' ? iso.replace(/(\.\d{3})\d+/, '$1') : iso;
}

export function formatDate(iso, lang) {
  try {
    return new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
  } catch (error) {
    return iso;
  }
}

// Shows the API's per-field reasons next to the fields (inputs named like the error's field).
export function showFieldErrors(form, error, t) {
  for (const old of form.querySelectorAll('.kb-field-error')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const general = form.querySelector('.kb-form-error');
  const unplaced = [];
  for (const { field, reason } of (error && error.fields) || []) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!input) {
      unplaced.push(`${field}: ${reason}`);
      continue;
    }
    const note = h('span', { class: 'kb-field-error', id: `err-${input.id || field}` }, reason);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', note.id);
    (input.closest('.kb-field') || input.parentElement).append(note);
  }
  if (general) {
    const message = error ? (unplaced.length ? unplaced.join('; ') : (error.fields && error.fields.length ? '' : error.message)) : '';
    general.textContent = message || '';
    general.hidden = !message;
  }
  if (error && !error.fields?.length && !general) console.warn(error);
  return t;
}

export function notice(text, kind = 'info') {
  return h('p', { class: `kb-notice kb-notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
