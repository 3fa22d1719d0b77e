// Staff sign-in for /agent/ and /internal/: on success the same URL is loaded again, now with content.
import { apiClient } from '/agent/js/api-client.js';

const api = apiClient('/api');
const form = document.getElementById('signin');
const errorBox = document.getElementById('signin-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  try {
    const result = await api.post('/auth/login', { email: form.email.value, password: form.password.value });
    if (result.user.role === 'customer') {
      errorBox.textContent = 'This account is not a staff account.';
      errorBox.hidden = false;
      return;
    }
    location.reload();
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
});
