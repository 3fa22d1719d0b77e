// Small DOM helpers and the UI strings (en, ja) of the portal hooks: tickets, account, rating.

const STRINGS = {
  en: {
    loading: 'Loading…', api_unreachable: 'The support server cannot be reached right now. Please try again later.', offline_queued: 'The support server cannot be reached (are you offline?). Your submission is saved in this browser and will be sent automatically when the connection returns.',
    queued_sent: 'Your saved submission was sent.', queued_failed: 'A saved submission could not be sent:', queued_count: 'Waiting to be sent: {n}',
    required: 'required', optional: 'optional', error_generic: 'Something went wrong. Please try again.',
    new_ticket: 'Contact support', subject: 'Subject', message: 'Describe the problem', department: 'Topic', email: 'Your email', name: 'Your name',
    attachments: 'Attachments', attachments_hint: 'Up to {n} files, {size} MB each. Allowed: {types}', attachments_hint_one: 'One file, up to {size} MB. Allowed: {types}', submit_ticket: 'Send request',
    suggestions: 'These articles might already answer your question:', ticket_created: 'Thank you! Your ticket number is {n}.',
    private_link: 'Keep this private link to follow your ticket without an account:', open_ticket: 'View the ticket',
    my_tickets: 'Your tickets', no_tickets: 'You have no tickets yet.', sign_in_hint: 'Sign in to see all your tickets.', sign_in: 'Sign in',
    ticket: 'Ticket {n}', status: 'Status', history: 'Progress', conversation: 'Conversation', reply: 'Reply', your_message: 'Your message', send_reply: 'Send reply',
    reply_sent: 'Your reply was sent.', closed_note: 'This ticket is closed. Please open a new request if you need more help.',
    back_to_tickets: 'All tickets', not_found: 'This ticket does not exist or the link is not valid.', you: 'You', support: 'Support',
    status_new: 'New', status_open: 'Open', status_waiting: 'Waiting on you', status_solved: 'Solved', status_closed: 'Closed',
    account: 'Your account', signed_in_as: 'Signed in as {email}', sign_out: 'Sign out', password: 'Password', register: 'Create an account',
    new_password: 'New password', forgot: 'Forgot your password?', send_reset: 'Send reset link', reset_sent: 'If an account exists for that email, a reset link is on its way.',
    set_password: 'Set new password', password_changed: 'Your password was changed and you are signed in.', documents: 'Your documents',
    no_documents: 'No documents yet.', agent_page: 'Open the agent page', tickets_link: 'Your support tickets',
    close_heading: 'Problem solved?', close_hint: 'Close the ticket if you need no more help.', close_ticket: 'Close this ticket',
    rate_title: 'Rate our support', rate_question: 'How was the support you got?', rate_good: 'Good', rate_bad: 'Bad',
    rate_comment: 'Comment', rate_send: 'Send rating', rated: 'Thank you for your rating.', rate_choose: 'Choose good or bad.',
    profile: 'Your profile', save_profile: 'Save', profile_saved: 'Your name was saved.', change_password: 'Change your password',
    current_password: 'Current password', password_changed_here: 'Your password was changed. Other browsers were signed out.',
    past_chats: 'Your chats', no_chats: 'You have no chats yet.', chat_status_active: 'Active', chat_status_waiting: 'Waiting', chat_status_closed: 'Ended',
    verify_pending: 'Your email address {email} is not confirmed yet. Open the link we mailed you; tickets you sent earlier from this address then appear here.',
    verify_resend: 'Send a new link', verify_sent: 'We sent a confirmation link to {email}.', verified: 'Your email address {email} is confirmed.',
    verified_tickets: '{n} earlier tickets were added to your account.', verified_tickets_one: 'One earlier ticket was added to your account.',
    email_changed: 'Your email address is now {email}.', change_email: 'Change your email address', new_email: 'New email address',
    email_change_sent: 'We sent a link to {email}. Your address changes when you open it.',
    staff_counts: '(staff) Yes {up} · No {down}', helpful: 'Was this article helpful?', yes: 'Yes', no: 'No', thanks: 'Thank you for your feedback.', rating_queued: 'Saved; it will be sent when you are back online.',
  },
  ja: {
    loading: '読み込み中…', api_unreachable: '現在サポートサーバーに接続できません。しばらくしてからもう一度お試しください。', offline_queued: 'サポートサーバーに接続できません（オフラインの可能性があります）。送信内容はこのブラウザに保存され、接続が戻ると自動的に送信されます。',
    queued_sent: '保存されていた送信内容を送信しました。', queued_failed: '保存されていた送信内容を送信できませんでした：', queued_count: '送信待ち：{n} 件',
    required: '必須', optional: '任意', error_generic: '問題が発生しました。もう一度お試しください。',
    new_ticket: 'サポートへのお問い合わせ', subject: '件名', message: '問題の詳細', department: 'トピック', email: 'メールアドレス', name: 'お名前',
    attachments: '添付ファイル', attachments_hint: '最大 {n} ファイル、1 ファイル {size} MB まで。形式：{types}', submit_ticket: '送信する',
    suggestions: '次の記事で解決できるかもしれません：', ticket_created: 'ありがとうございます。チケット番号は {n} です。',
    private_link: 'アカウントなしでチケットを確認するための非公開リンクです（他の人と共有しないでください）：', open_ticket: 'チケットを表示',
    my_tickets: 'あなたのチケット', no_tickets: 'チケットはまだありません。', sign_in_hint: 'サインインするとすべてのチケットを確認できます。', sign_in: 'サインイン',
    ticket: 'チケット {n}', status: 'ステータス', history: '進捗', conversation: 'やり取り', reply: '返信', your_message: 'メッセージ', send_reply: '返信を送信',
    reply_sent: '返信を送信しました。', closed_note: 'このチケットはクローズされています。引き続きサポートが必要な場合は新しいお問い合わせを作成してください。',
    back_to_tickets: 'チケット一覧', not_found: 'このチケットは存在しないか、リンクが無効です。', you: 'あなた', support: 'サポート',
    status_new: '新規', status_open: '対応中', status_waiting: 'お客様の返信待ち', status_solved: '解決済み', status_closed: 'クローズ',
    account: 'アカウント', signed_in_as: '{email} としてサインイン中', sign_out: 'サインアウト', password: 'パスワード', register: 'アカウントを作成',
    new_password: '新しいパスワード', forgot: 'パスワードをお忘れですか？', send_reset: 'リセット用リンクを送信', reset_sent: 'アカウントが存在する場合、リセット用リンクを送信しました。',
    set_password: 'パスワードを設定', password_changed: 'パスワードを変更し、サインインしました。', documents: 'あなたのドキュメント',
    no_documents: 'ドキュメントはまだありません。', agent_page: '担当者ページを開く', tickets_link: 'サポートチケット',
    close_heading: '解決しましたか？', close_hint: 'これ以上サポートが不要な場合はチケットをクローズしてください。', close_ticket: 'このチケットをクローズ',
    rate_title: 'サポートの評価', rate_question: 'サポートはいかがでしたか？', rate_good: '良い', rate_bad: '悪い',
    rate_comment: 'コメント', rate_send: '評価を送信', rated: '評価をありがとうございました。', rate_choose: '「良い」か「悪い」を選んでください。',
    profile: 'プロフィール', save_profile: '保存', profile_saved: 'お名前を保存しました。', change_password: 'パスワードの変更',
    current_password: '現在のパスワード', password_changed_here: 'パスワードを変更しました。他のブラウザはサインアウトされました。',
    past_chats: 'あなたのチャット', no_chats: 'チャットはまだありません。', chat_status_active: '対応中', chat_status_waiting: '待機中', chat_status_closed: '終了',
    verify_pending: 'メールアドレス {email} はまだ確認されていません。お送りしたメールのリンクを開いてください。このアドレスから以前お送りいただいたお問い合わせがここに表示されるようになります。',
    verify_resend: 'リンクを再送信', verify_sent: '{email} に確認用リンクを送信しました。', verified: 'メールアドレス {email} を確認しました。',
    verified_tickets: '以前のお問い合わせ {n} 件をアカウントに追加しました。',
    email_changed: 'メールアドレスを {email} に変更しました。', change_email: 'メールアドレスの変更', new_email: '新しいメールアドレス',
    email_change_sent: '{email} にリンクを送信しました。リンクを開くとメールアドレスが変更されます。',
    staff_counts: '（スタッフ）はい {up} · いいえ {down}', helpful: 'この記事は役に立ちましたか？', yes: 'はい', no: 'いいえ', thanks: 'フィードバックをありがとうございました。', rating_queued: '保存しました。オンラインに戻ると送信されます。',
  },
};

// t(key, values) over per-language tables ({en: {...}, ja: {...}}). With a number `n`, the
// language's plural form wins when the table has one: "votes_one" for n = 1 in English
// ("1 vote"); Japanese has no plural forms, so "{n} 票" serves every number.
export function translator(tables, lang) {
  const table = tables[lang] || tables.en;
  let plurals = null;
  try { plurals = new Intl.PluralRules(lang); } catch (error) { plurals = new Intl.PluralRules('en'); }
  const lookup = (key) => table[key] ?? tables.en[key];
  return (key, values = {}) => {
    let text;
    if (typeof values.n === 'number') {
      const form = `${key}_${plurals.select(values.n)}`;
      text = table[form] ?? (table[key] === undefined ? tables.en[form] : undefined);
    }
    text = text ?? lookup(key) ?? key;
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
  };
}

export function portalText(lang) {
  return translator(STRINGS, lang);
}

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
