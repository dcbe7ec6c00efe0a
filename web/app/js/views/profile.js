// A person's page: who they are, their counts (followers and following open as lists), a grid of posts.

import { gql } from '../api.js';
import { avatar, countLabel, h, profileHref } from '../dom.js';
import { createGrid, createPeopleList, followButton } from '../feed.js';
import { Q } from '../queries.js';
import { session } from '../session.js';

function profileHead(user) {
  const mine = user.id === session.viewer?.id;
  const followers = countLabel(user.followerCount, 'follower', 'followers', 'follower-count');
  const action = mine
    ? h('a', { class: 'button', href: '#/settings', 'data-testid': 'edit-profile' }, 'Edit profile')
    : followButton(user, (changed) => followers.set(changed.followerCount));
  return h('div', { class: 'card profile-head', 'data-testid': 'profile' },
    avatar(user, 'large'),
    h('div', { class: 'who' },
      h('h1', {}, user.displayName || user.username),
      h('p', { class: 'muted', 'data-testid': 'profile-username' }, `@${user.username}`,
        user.followsViewer ? h('span', { class: 'badge' }, 'Follows you') : null),
      user.bio ? h('p', { 'data-testid': 'profile-bio' }, user.bio) : null,
      h('p', { class: 'stats' },
        countLabel(user.postCount, 'post', 'posts', 'post-count'),
        h('a', { href: `${profileHref(user.username)}/followers`, 'data-testid': 'followers-link' }, followers),
        h('a', { href: `${profileHref(user.username)}/following`, 'data-testid': 'following-link' },
          countLabel(user.followingCount, 'following', 'following', 'following-count')))),
    h('div', { class: 'profile-actions' }, action));
}

function loadUser(username, root, result, build) {
  const status = h('p', { class: 'card notice' }, 'Loading…');
  root.append(status);
  gql(Q.user, { username }).then((data) => {
    if (result.dead) return;
    if (!data.user) {
      status.textContent = `No one is called @${username}.`;
      return;
    }
    status.remove();
    build(data.user);
  }, (error) => { status.textContent = error.message; });
}

export function profileView(username) {
  const root = h('section', { class: 'profile' });
  const result = { root, title: `@${username}`, dispose: () => { result.dead = true; result.grid?.dispose(); } };
  loadUser(username, root, result, (user) => {
    result.grid = createGrid(
      async (after, first) => (await gql(Q.userGrid, { username, first, after })).user.posts,
      user.id === session.viewer?.id ? 'Share your first photo with “New post”.' : 'No posts yet.',
    );
    root.append(profileHead(user), h('h2', { class: 'visually-hidden' }, 'Posts'), ...result.grid.nodes);
  });
  return result;
}

export function peopleView(username, which) {
  const title = which === 'followers' ? 'Followers' : 'Following';
  const root = h('section', { class: 'people-page' },
    h('p', {}, h('a', { href: profileHref(username) }, `← @${username}`)),
    h('h1', {}, title));
  const result = { root, title: `${title} · @${username}`, dispose: () => { result.dead = true; result.list?.dispose(); } };
  result.list = createPeopleList(
    async (after, first) => (await gql(Q[which], { username, first, after })).user[which],
    which === 'followers' ? 'No followers yet.' : 'Not following anyone yet.',
  );
  root.append(...result.list.nodes);
  return result;
}
