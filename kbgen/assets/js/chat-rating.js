// "How was the support you got?" under an ended chat: good or bad and a comment, sent to the
// chat's satisfaction endpoint (rating again changes the answer). Shown only when the API says
// the chat can be rated (it ended and an agent answered it). Words: the chat's js_chat_rate_*.

import { h } from './portal-ui.js';

export async function mountChatRating(container, { api, chatId, headers, t }) {
  const path = `/chat/chats/${encodeURIComponent(chatId)}/satisfaction`;
  let saved;
  try {
    saved = await api.request('GET', path, { headers });
  } catch (error) {
    return;   // no rating form is better than a broken one
  }
  if (!saved.can_rate || container.querySelector('.kb-chat-rating')) return;
  const status = h('p', { class: 'kb-chat-note', role: 'status' }, saved.rating ? t('rated') : '');
  const problem = h('p', { class: 'kb-chat-note kb-chat-alert', role: 'alert', hidden: true });
  const comment = h('textarea', { id: 'kb-chat-rate-comment', name: 'comment', rows: 2, maxlength: 2000 });
  comment.value = saved.comment || '';
  const form = h('form', { class: 'kb-chat-form kb-chat-rating', novalidate: true },
    h('fieldset', {}, h('legend', {}, t('rate_question')),
      ['good', 'bad'].map((value) => h('label', { class: 'kb-chat-choice' },
        h('input', { type: 'radio', name: 'rating', value, checked: saved.rating === value }), ` ${t(`rate_${value}`)}`))),
    h('label', { for: 'kb-chat-rate-comment' }, `${t('rate_comment')} (${t('optional')})`), comment,
    problem, h('button', { type: 'submit', class: 'kb-chat-primary' }, t('rate_send')), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const rating = form.elements.rating.value;
    problem.hidden = Boolean(rating);
    problem.textContent = rating ? '' : t('rate_choose');
    if (!rating) return;
    try {
      await api.request('PUT', path, { headers, body: { rating, comment: comment.value } });
      status.textContent = t('rated');
    } catch (error) {
      problem.textContent = error.message || t('error');
      problem.hidden = false;
    }
  });
  container.append(form);
}
