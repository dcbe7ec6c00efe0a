// Sign in and create account.

import { mutate } from './api.js';
import { $, h } from './dom.js';

export function authView(onSignedIn) {
  const error = h('p', { class: 'error', 'data-testid': 'auth-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'auth-submit' }, 'Sign in');
  const signupOnly = h('label', { class: 'signup-only' }, 'Display name',
    h('input', { name: 'displayName', 'data-testid': 'auth-display-name', autocomplete: 'name', maxlength: 60 }));
  const form = h('form', { 'data-testid': 'auth-form' },
    h('label', {}, 'Username', h('input', { name: 'username', 'data-testid': 'auth-username', autocomplete: 'username',
      required: true, minlength: 3, maxlength: 30, pattern: '[a-zA-Z0-9_.]+', autocapitalize: 'none',
      'aria-describedby': 'username-hint' })),
    h('p', { id: 'username-hint', class: 'hint muted' }, '3–30 letters, digits, _ and .'),
    signupOnly,
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', 'data-testid': 'auth-password',
      required: true, minlength: 8, autocomplete: 'current-password' })),
    error, submit);
  const tabs = [['signIn', 'Sign in', 'tab-sign-in'], ['signUp', 'Create account', 'tab-sign-up']].map(([mode, label, testid]) =>
    h('button', { type: 'button', 'data-mode': mode, 'data-testid': testid, 'aria-pressed': 'false' }, label));
  const section = h('section', { class: 'auth card' },
    h('h1', {}, 'Aperture'), h('p', { class: 'muted' }, 'Photos and videos from people you follow, live.'),
    h('div', { class: 'tabs', role: 'group', 'aria-label': 'Sign in or create an account' }, tabs), form);
  const setMode = (mode) => {
    form.dataset.mode = mode;
    for (const tab of tabs) tab.setAttribute('aria-pressed', String(tab.dataset.mode === mode));
    signupOnly.hidden = mode !== 'signUp';
    submit.textContent = mode === 'signUp' ? 'Create account' : 'Sign in';
    form.elements.password.autocomplete = mode === 'signUp' ? 'new-password' : 'current-password';
    error.textContent = '';
  };
  for (const tab of tabs) tab.addEventListener('click', () => setMode(tab.dataset.mode));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const mode = form.dataset.mode;
    const { username, password, displayName } = form.elements;
    const variables = { username: username.value.trim().toLowerCase(), password: password.value };
    if (mode === 'signUp') variables.displayName = displayName.value.trim() || null;
    submit.disabled = true;
    try {
      const payload = await mutate(mode, variables);
      onSignedIn(payload.token, payload.user);
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  setMode('signIn');
  return { root: section, focus: $('input', form) };
}
