// Edit profile: profile photo, display name, bio, and whether the account is private.

import { gql, mutate } from '../api.js';
import { avatar, h, profileHref, sleep } from '../dom.js';
import { Q } from '../queries.js';
import { session } from '../session.js';
import { uploadFile } from '../upload.js';

const PHOTO_TYPES = 'image/jpeg,image/png,image/webp,image/heic,image/gif';

/** Waits (up to a minute) for the new profile photo's variants; the viewer as it is then. */
async function photoProcessed() {
  for (let polls = 0; polls < 120; polls++) {
    const { viewer } = await gql(Q.viewer);
    if (viewer.avatar?.state !== 'PROCESSING') return viewer;
    await sleep(500);
  }
  throw new Error('The photo is still processing: it will appear on your profile when ready');
}

export function settingsView(onSaved) {
  const user = session.viewer;
  const status = h('p', { class: 'status', 'data-testid': 'settings-status', role: 'status' });
  const preview = h('div', { class: 'avatar-preview' }, avatar(user, 'large'));
  const photo = h('input', { type: 'file', name: 'avatar', accept: PHOTO_TYPES, 'data-testid': 'settings-avatar' });
  photo.addEventListener('change', () => {
    const [file] = photo.files;
    if (!file) return;
    const img = h('img', { src: URL.createObjectURL(file), alt: '' });
    preview.replaceChildren(h('span', { class: 'avatar large' }, img));
  });
  const form = h('form', { class: 'card settings', 'data-testid': 'settings-form' },
    h('h1', {}, 'Edit profile'),
    h('div', { class: 'photo-row' }, preview, h('label', {}, 'Profile photo', photo)),
    h('label', {}, 'Display name', h('input', { name: 'displayName', value: user.displayName, maxlength: 60,
      autocomplete: 'name', 'data-testid': 'settings-display-name' })),
    h('label', {}, 'Bio', h('textarea', { name: 'bio', rows: 3, maxlength: 150, 'data-testid': 'settings-bio' })),
    h('div', { class: 'switch-row' },
      h('label', { class: 'switch' }, h('input', { type: 'checkbox', role: 'switch', name: 'isPrivate',
        'aria-describedby': 'private-help', 'data-testid': 'settings-private' }), 'Private account'),
      h('p', { id: 'private-help', class: 'muted' }, 'Only people you approve see your posts, followers and following. '
        + 'People who already follow you stay.')),
    h('p', {}, h('a', { href: '#/settings/privacy', 'data-testid': 'privacy-link' }, 'Blocked and muted accounts')),
    status,
    h('div', { class: 'row' }, h('a', { class: 'button', href: profileHref(user.username) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'settings-save' }, 'Save')));
  form.elements.bio.value = user.bio ?? '';
  form.elements.isPrivate.checked = Boolean(user.isPrivate);
  const say = (text, state = '') => {
    status.dataset.state = state;
    status.setAttribute('role', state === 'error' ? 'alert' : 'status');
    status.textContent = text;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const save = form.elements[form.elements.length - 1];
    save.disabled = true;
    try {
      const [file] = photo.files;
      let avatarId = null;
      if (file) {
        say('Uploading photo…');
        avatarId = await uploadFile(file);
      }
      say('Saving…');
      const payload = await mutate('updateProfile', {
        displayName: form.elements.displayName.value.trim(), bio: form.elements.bio.value.trim(), avatar: avatarId,
        isPrivate: form.elements.isPrivate.checked });
      let saved = payload.user;
      if (avatarId) {
        say('Processing photo…');
        saved = await photoProcessed();
        if (saved.avatar?.state === 'FAILED') throw new Error('That photo could not be processed: try another');
      }
      Object.assign(session.viewer, saved);
      onSaved(session.viewer);
      location.hash = profileHref(user.username);
    } catch (error) {
      say(error.message, 'error');
    } finally {
      save.disabled = false;
    }
  });
  return { root: h('section', { class: 'settings-page' }, form), title: 'Edit profile' };
}
