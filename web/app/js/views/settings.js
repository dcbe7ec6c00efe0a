// Edit profile: display name and bio.

import { mutate } from '../api.js';
import { h, profileHref } from '../dom.js';
import { session } from '../session.js';

export function settingsView(onSaved) {
  const user = session.viewer;
  const status = h('p', { class: 'status', 'data-testid': 'settings-status', role: 'status' });
  const form = h('form', { class: 'card settings', 'data-testid': 'settings-form' },
    h('h1', {}, 'Edit profile'),
    h('label', {}, 'Display name', h('input', { name: 'displayName', value: user.displayName, maxlength: 60,
      autocomplete: 'name', 'data-testid': 'settings-display-name' })),
    h('label', {}, 'Bio', h('textarea', { name: 'bio', rows: 3, maxlength: 150, 'data-testid': 'settings-bio' })),
    status,
    h('div', { class: 'row' }, h('a', { class: 'button', href: profileHref(user.username) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'settings-save' }, 'Save')));
  form.elements.bio.value = user.bio ?? '';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.dataset.state = '';
    status.textContent = 'Saving…';
    try {
      const payload = await mutate('updateProfile', {
        displayName: form.elements.displayName.value.trim(), bio: form.elements.bio.value.trim() });
      Object.assign(session.viewer, payload.user);
      onSaved(payload.user);
      location.hash = profileHref(user.username);
    } catch (error) {
      status.dataset.state = 'error';
      status.textContent = error.message;
    }
  });
  return { root: h('section', { class: 'settings-page' }, form), title: 'Edit profile' };
}
