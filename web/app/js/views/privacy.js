// Privacy and safety: follow requests (for a private account), and the accounts the viewer blocked or muted.

import { gql, mutate } from '../api.js';
import { h, toast } from '../dom.js';
import { createPeopleList, personRow } from '../feed.js';
import { Q } from '../queries.js';
import { session } from '../session.js';
import { requestsLink } from '../request-count.js';

/** A row whose one button lifts the block or the mute, then says so. */
function liftRow(name, verb, done) {
  return (user) => {
    const button = h('button', { type: 'button', 'data-testid': `${name}-button`, 'aria-label': `${verb} @${user.username}`,
      onclick: async () => {
        button.disabled = true;
        try {
          await mutate(name, { id: user.id });
          button.replaceWith(h('span', { class: 'muted', role: 'status' }, done));
        } catch (error) {
          toast(error.message);
          button.disabled = false;
        }
      } }, verb);
    return personRow(user, '', button);
  };
}

function section(title, testid, list) {
  const id = `${testid}-title`;
  return h('section', { class: 'safety-list', 'aria-labelledby': id, 'data-testid': testid },
    h('h2', { id }, title), ...list.nodes);
}

export function privacyView() {
  const blocked = createPeopleList(
    async (after, first) => (await gql(Q.blockedUsers, { first, after })).viewer.blockedUsers,
    'You haven’t blocked anyone.', liftRow('unblock', 'Unblock', 'Unblocked'));
  const muted = createPeopleList(
    async (after, first) => (await gql(Q.mutedUsers, { first, after })).viewer.mutedUsers,
    'You haven’t muted anyone.', liftRow('unmute', 'Unmute', 'Unmuted'));
  const root = h('section', { class: 'people-page privacy-page' },
    h('p', {}, h('a', { href: '#/settings' }, '← Edit profile')),
    h('h1', {}, 'Privacy and safety'),
    h('p', { class: 'muted' }, session.viewer.isPrivate
      ? 'Your account is private: only the people you approve see your posts and who you follow. '
      : 'Your account is public: anyone can see your posts. You can make it private in Edit profile. ',
    session.viewer.isPrivate ? requestsLink() : null),
    section('Blocked accounts', 'blocked-list', blocked),
    h('p', { class: 'muted' }, 'Blocked people can’t follow you or see your posts, and you don’t see theirs.'),
    section('Muted accounts', 'muted-list', muted),
    h('p', { class: 'muted' }, 'Muted people’s posts stay out of your home feed. They aren’t told.'));
  return { root, title: 'Privacy and safety', dispose: () => { blocked.dispose(); muted.dispose(); } };
}
