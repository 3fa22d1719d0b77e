// Staff sign-in for /agent/ and /internal/: on success the same URL is loaded again, now with content.
// The server wrote the page in the browser's language and left every site language's words in
// #signin-words; an agent who chose another language on the staff pages gets that one here too.
import { apiClient } from '/agent/js/api-client.js';
import { translator } from '/agent/js/portal-ui.js';
import { chosenLanguage } from '/agent/assets/agent-common.js';

const words = JSON.parse(document.getElementById('signin-words').textContent);
const lang = words[chosenLanguage()] ? chosenLanguage() : document.documentElement.lang;
const say = translator(words, lang);
if (lang !== document.documentElement.lang) {
  document.documentElement.lang = lang;
  document.title = say('signin_title');
  for (const element of document.querySelectorAll('[data-words]')) element.textContent = say(element.dataset.words);
}

const api = apiClient('/api', { text: (key, values) => say(`api_${key}`, values), lang });
const form = document.getElementById('signin');
const errorBox = document.getElementById('signin-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  try {
    const result = await api.post('/auth/login', { email: form.email.value, password: form.password.value });
    if (result.user.role === 'customer') {
      errorBox.textContent = say('signin_not_staff');
      errorBox.hidden = false;
      return;
    }
    location.reload();
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
});
