// Edit and delete one's own forum post (a question or an answer) while the API's edit window is
// open (`editable_until` on the post; the API checks it again). Editing opens a form in place;
// deleting asks for a confirmation in place (no browser dialog).

import { formatDate, h, notice, showFieldErrors } from './portal-ui.js';

function editForm(post, kind, api, t, done) {
  const id = `kb-edit-${post.id}`;
  const title = kind === 'topic'
    ? h('p', { class: 'kb-field' }, h('label', { for: `${id}-title` }, t('title')),
      h('input', { id: `${id}-title`, name: 'title', required: true, maxlength: 200, value: post.title }))
    : null;
  const body = h('textarea', { id: `${id}-body`, name: 'body', required: true, rows: 6, maxlength: 20000 });
  body.value = post.body || '';
  const form = h('form', { class: 'kb-form kb-forum-edit-form', novalidate: true },
    title, h('p', { class: 'kb-field' }, h('label', { for: `${id}-body` }, kind === 'topic' ? t('body') : t('answer')), body),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('save')), ' ',
      h('button', { type: 'button', class: 'kb-button-secondary', onclick: () => done(null) }, t('cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      showFieldErrors(form, null, t);
      const path = kind === 'topic' ? `/forum/topics/${encodeURIComponent(post.id)}` : `/forum/answers/${encodeURIComponent(post.id)}`;
      const result = await api.patch(path, values);
      done(result.status === 'pending' ? notice(t('edit_pending')) : notice(t('edit_saved'), 'success'));
    } catch (error) {
      showFieldErrors(form, error, t);
    }
  });
  return form;
}

// The "Edit · Delete" row under the author's own post, or nothing once the window is over.
// `done(banner, deleted)` re-renders the page with a message.
export function ownPostActions(post, kind, context, api, t, done) {
  if (!post.editable_until) return null;
  const row = h('div', { class: 'kb-community-actions kb-forum-own' });
  const reset = () => row.replaceChildren(...buttons());
  const buttons = () => [
    h('button', { type: 'button', class: 'kb-forum-edit', onclick: () => {
      const form = editForm(post, kind, api, t, (banner) => (banner ? done(banner) : reset()));
      row.replaceChildren(form);
      form.querySelector('input, textarea').focus();
    } }, t('edit')),
    h('button', { type: 'button', class: 'kb-forum-delete', onclick: () => {
      const yes = h('button', { type: 'button', class: 'kb-forum-delete-yes', onclick: async () => {
        try {
          await api.del(kind === 'topic' ? `/forum/topics/${encodeURIComponent(post.id)}` : `/forum/answers/${encodeURIComponent(post.id)}`);
          done(notice(t('deleted'), 'success'), kind === 'topic');
        } catch (error) {
          row.replaceChildren(notice(error.message || t('error'), 'error'), ...buttons());
        }
      } }, t('delete_yes'));
      row.replaceChildren(h('p', { role: 'alert' }, t(kind === 'topic' ? 'delete_topic_confirm' : 'delete_answer_confirm')), yes, ' ',
        h('button', { type: 'button', class: 'kb-button-secondary', onclick: reset }, t('cancel')));
      yes.focus();
    } }, t('delete')),
    h('small', { class: 'kb-muted' }, t('editable_until', { time: formatDate(post.editable_until, context.lang) })),
  ];
  reset();
  return row;
}
