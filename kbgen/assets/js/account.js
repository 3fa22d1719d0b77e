// The account app page (<lang>/account/): sign in, register, forgotten password (and the reset
// link #reset=TOKEN), email verification (the link #verify=TOKEN, a resend, an email change),
// sign out, and the customer's documents.

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { formatDate, h, notice, portalText, showFieldErrors } from './portal-ui.js';
import { uiText } from './strings.js';

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
    // "username" (what password managers look for) is not allowed on type=email
    field('kb-a-email', 'email', t('email'), { type: 'text', inputmode: 'email', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }),
    field('kb-a-password', 'password', t('password'), { type: 'password', autocomplete: 'current-password', required: true }),
  ], t('sign_in'), async (values) => { await api.post('/auth/login', values); api.forgetSession(); rerender(); }, t);
  const register = formOf(t('register'), [
    field('kb-r-name', 'name', t('name'), { autocomplete: 'name', maxlength: 120 }),
    field('kb-r-email', 'email', t('email'), { type: 'email', autocomplete: 'email', required: true }),
    field('kb-r-password', 'password', t('password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
  ], t('register'), async (values) => {
    await api.post('/auth/register', { ...values, lang: context.lang });
    api.forgetSession();
    rerender(notice(t('verify_sent', { email: values.email })));
  }, t);
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

function profileForms(api, user, t) {
  const profileResult = h('div', { 'aria-live': 'polite' });
  const profile = formOf(t('profile'), [
    field('kb-p-name', 'name', t('name'), { autocomplete: 'name', maxlength: 120, value: user.name || '' }),
  ], t('save_profile'), async (values) => {
    await api.patch('/account', { name: values.name });
    api.forgetSession();
    profileResult.replaceChildren(notice(t('profile_saved')));
  }, t);
  const passwordResult = h('div', { 'aria-live': 'polite' });
  const password = formOf(t('change_password'), [
    field('kb-c-current', 'current_password', t('current_password'), { type: 'password', autocomplete: 'current-password', required: true }),
    field('kb-c-new', 'new_password', t('new_password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
  ], t('change_password'), async (values, form) => {
    await api.post('/account/password', { current_password: values.current_password, new_password: values.new_password });
    form.reset();
    passwordResult.replaceChildren(notice(t('password_changed_here')));
  }, t);
  const emailResult = h('div', { 'aria-live': 'polite' });
  const email = formOf(t('change_email'), [
    field('kb-e-email', 'email', t('new_email'), { type: 'email', autocomplete: 'email', required: true }),
    field('kb-e-current', 'current_password', t('current_password'), { type: 'password', autocomplete: 'current-password', required: true }),
  ], t('change_email'), async (values, form) => {
    const answer = await api.post('/account/email', { email: values.email, current_password: values.current_password });
    form.reset();
    emailResult.replaceChildren(notice(t('email_change_sent', { email: answer.pending_email })));
  }, t);
  return [profile, profileResult, email, emailResult, password, passwordResult];
}

// An address not proven yet: say so, and offer a new link (the first one may be lost or expired).
function verificationNotice(api, user, t) {
  if (user.email_verified) return null;
  const result = h('span', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'kb-resend-verification', onclick: async () => {
    button.disabled = true;
    try {
      await api.post('/account/verification');
      result.replaceChildren(' ', t('verify_sent', { email: user.email }));
    } catch (error) {
      result.replaceChildren(' ', error.message || t('error_generic'));
      button.disabled = false;
    }
  } }, t('verify_resend'));
  return h('div', { class: 'kb-notice kb-notice-info kb-unverified' }, h('p', {}, t('verify_pending', { email: user.email })), h('p', {}, button, result));
}

async function verifyLink(api, token, t) {
  try {
    const answer = await api.post('/auth/verify-email', { token });
    api.forgetSession();
    const text = answer.email_changed ? t('email_changed', { email: answer.user.email }) : t('verified', { email: answer.user.email });
    return notice(answer.attached_tickets ? `${text} ${t('verified_tickets', { n: answer.attached_tickets })}` : text);
  } catch (error) {
    return notice(error.message || t('error_generic'), 'error');
  } finally {
    history.replaceState(null, '', location.pathname + location.search);
  }
}

async function pastChats(context, api, t) {
  const { chats } = await api.get('/chat/history?limit=20').catch(() => ({ chats: [] }));
  return [h('h2', {}, t('past_chats')), chats.length ? h('ul', { class: 'kb-list kb-past-chats' }, chats.map((chat) => h('li', { class: 'kb-card' },
    h('details', {}, h('summary', {}, formatDate(chat.created_at, context.lang), ' · ', t(`chat_status_${chat.status}`) || chat.status),
      h('ol', { class: 'kb-list' }, chat.messages.filter((m) => m.kind !== 'system').map((m) => h('li', {},
        h('strong', {}, m.kind === 'customer' ? t('you') : (m.author_name || t('support'))), ': ', m.body)))))))
    : h('p', {}, t('no_chats'))];
}

async function signedInView(context, api, user, t, rerender) {
  const [{ documents }, chats] = await Promise.all([api.get('/documents'), pastChats(context, api, t)]);
  return h('div', { class: 'kb-account-signed-in' },
    h('h2', {}, t('account')),
    h('p', {}, t('signed_in_as', { email: user.email })),
    verificationNotice(api, user, t),
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
      : h('p', {}, t('no_documents')),
    chats, profileForms(api, user, t));
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
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
  const render = async (banner = null) => {
    try {
      const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
      if (hash.get('verify')) {
        banner = await verifyLink(api, hash.get('verify'), t);
      }
      const token = hash.get('reset');
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
  // a reset or verification link pasted into a tab already on this page changes only the hash
  window.addEventListener('hashchange', () => {
    const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (hash.get('reset') || hash.get('verify')) render();
  });
  await render();
}

registerMount('account', (element, context) => { mountAccount(element, context); });
