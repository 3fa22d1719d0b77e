// The account app page (<lang>/account/): sign in, register, forgotten password (and the reset
// link #reset=TOKEN), sign out, and the customer's documents.

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { formatDate, h, notice, portalText, showFieldErrors } from './portal-ui.js';

function field(id, name, label, attributes = {}) {
  return h('p', { class: 'kb-field' }, h('label', { for: id }, label), h('input', { id, name, ...attributes }));
}

function formOf(title, fields, button, onSubmit, t) {
  const form = h('form', { novalidate: true, class: 'kb-account-form' }, h('h2', {}, title), fields,
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }), h('p', {}, h('button', { type: 'submit' }, button)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      showFieldErrors(form, null, t);
      await onSubmit(values, form);
    } catch (error) {
      showFieldErrors(form, error, t);
    }
  });
  return form;
}

function signedOutView(context, api, t, rerender) {
  const signIn = formOf(t('sign_in'), [
    field('kb-a-email', 'email', t('email'), { type: 'email', autocomplete: 'username', required: true }),
    field('kb-a-password', 'password', t('password'), { type: 'password', autocomplete: 'current-password', required: true }),
  ], t('sign_in'), async (values) => { await api.post('/auth/login', values); api.forgetSession(); rerender(); }, t);
  const register = formOf(t('register'), [
    field('kb-r-name', 'name', t('name'), { autocomplete: 'name', maxlength: 120 }),
    field('kb-r-email', 'email', t('email'), { type: 'email', autocomplete: 'email', required: true }),
    field('kb-r-password', 'password', t('password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
  ], t('register'), async (values) => { await api.post('/auth/register', values); api.forgetSession(); rerender(); }, t);
  const resetResult = h('div', { 'aria-live': 'polite' });
  const forgot = formOf(t('forgot'), [
    field('kb-f-email', 'email', t('email'), { type: 'email', autocomplete: 'email', required: true }),
  ], t('send_reset'), async (values, form) => {
    await api.post('/auth/password-reset', { email: values.email, lang: context.lang });
    resetResult.replaceChildren(notice(t('reset_sent')));
    form.reset();
  }, t);
  return h('div', { class: 'kb-account-signed-out' }, signIn, register, forgot, resetResult);
}

async function signedInView(context, api, user, t, rerender) {
  const { documents } = await api.get('/documents');
  return h('div', { class: 'kb-account-signed-in' },
    h('h2', {}, t('account')),
    h('p', {}, t('signed_in_as', { email: user.email })),
    h('p', {}, h('a', { href: portalUrl(context.lang, 'tickets') }, t('tickets_link'))),
    user.role !== 'customer' ? h('p', {}, h('a', { href: '/agent/' }, t('agent_page'))) : null,
    h('p', {}, h('button', { type: 'button', class: 'kb-sign-out', onclick: async () => {
      await api.post('/auth/logout');
      api.forgetSession();
      rerender();
    } }, t('sign_out'))),
    h('h2', {}, t('documents')),
    documents.length ? h('ul', { class: 'kb-documents' }, documents.map((doc) => h('li', {},
      h('a', { href: api.root + doc.url.replace(/^\/api/, ''), download: doc.filename }, doc.title), ' ',
      h('span', { class: 'kb-muted' }, `${formatDate(doc.created_at, context.lang)} · ${Math.ceil(doc.size / 1024)} KB`))))
      : h('p', {}, t('no_documents')));
}

function resetView(context, api, token, t, rerender) {
  return formOf(t('set_password'), [
    field('kb-n-password', 'password', t('new_password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
  ], t('set_password'), async (values) => {
    await api.post('/auth/password-reset/confirm', { token, password: values.password });
    api.forgetSession();
    history.replaceState(null, '', location.pathname + location.search);
    await rerender(notice(t('password_changed')));
  }, t);
}

export async function mountAccount(element, context) {
  const t = portalText(context.lang);
  const api = apiClient(context.api);
  const render = async (banner = null) => {
    try {
      const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('reset');
      if (token) {
        element.replaceChildren(resetView(context, api, token, t, render));
        return;
      }
      const session = await api.session();
      const view = session.user ? await signedInView(context, api, session.user, t, render) : signedOutView(context, api, t, render);
      element.replaceChildren(...(banner ? [banner] : []), view);
    } catch (error) {
      element.replaceChildren(notice(error.message || t('error_generic'), 'error'));
    }
  };
  await render();
}

registerMount('account', (element, context) => { mountAccount(element, context); });
