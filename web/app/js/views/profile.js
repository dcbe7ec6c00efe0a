// A person's page: who they are, their counts (followers and following open as lists), a grid of posts.

import { gql, mutate } from '../api.js';
import { avatar, countLabel, h, profileHref, toast } from '../dom.js';
import { createGrid, createPeopleList, followButton } from '../feed.js';
import { Q } from '../queries.js';
import { moreMenu, openReport } from '../safety.js';
import { requestsLink } from '../request-count.js';
import { session } from '../session.js';

function loadUser(username, root, result, build) {
  const status = h('p', { class: 'card notice' }, 'Loading…');
  root.append(status);
  gql(Q.user, { username }).then((data) => {
    if (result.dead) return;
    if (!data.user) {
      status.textContent = `No one is called @${username}.`;
      return;
    }
    return build(data.user).then(() => status.remove());
  }).catch((error) => { status.textContent = error.message; });
}

/** Whether the viewer blocks and mutes `userId` (there is no per-user field: the first 100 of each). */
async function relationsTo(userId) {
  const { viewer } = await gql(Q.relations);
  const has = (connection) => connection.edges.some((edge) => edge.node.id === userId);
  return { blocked: has(viewer.blockedUsers), muted: has(viewer.mutedUsers) };
}

/** The count behind a list: a link to the list when the viewer may see it. */
function countLink(user, which, label, shown) {
  return shown ? h('a', { href: `${profileHref(user.username)}/${which}`, 'data-testid': `${which}-link` }, label) : label;
}

function ownActions(user) {
  return [
    h('a', { class: 'button', href: '#/settings', 'data-testid': 'edit-profile' }, 'Edit profile'),
    user.isPrivate ? requestsLink({ class: 'button' }) : null,
  ];
}

/** Block, mute and report, in the … menu; `refresh` paints the page again after a block. */
function moreActions(user, relation, refresh) {
  const toggle = async (name, done) => {
    try {
      await mutate(name, { id: user.id });
      done();
    } catch (error) {
      toast(error.message);
    }
  };
  return moreMenu(`More options for @${user.username}`, () => [
    relation.blocked
      ? ['Unblock', () => toggle('unblock', () => { toast(`You unblocked @${user.username}`); refresh(); }), 'menu-unblock']
      : ['Block', () => toggle('block', () => { toast(`You blocked @${user.username}`); refresh(); }), 'menu-block'],
    relation.muted
      ? ['Unmute', () => toggle('unmute', () => { relation.muted = false; toast(`You unmuted @${user.username}`); }), 'menu-unmute']
      : ['Mute', () => toggle('mute', () => {
        relation.muted = true;
        toast(`You muted @${user.username}: their posts won’t appear in your home feed`);
      }), 'menu-mute'],
    ['Report', (opener) => openReport('user', user.id, user.username, opener), 'menu-report'],
  ]);
}

function profileHead(user, relation, shown, refresh) {
  const mine = user.id === session.viewer?.id;
  const followers = countLabel(user.followerCount, 'follower', 'followers', 'follower-count');
  const following = countLabel(user.followingCount, 'following', 'following', 'following-count');
  let actions;
  if (mine) actions = ownActions(user);
  else if (relation.blocked) actions = [unblockButton(user, refresh)];
  else {
    actions = [followButton(user, (changed) => {
      followers.set(changed.followerCount);
      // A request sent or withdrawn: the private notice says which
      const shownNotice = document.querySelector('[data-testid="private-notice"]');
      if (shownNotice) shownNotice.replaceWith(notice(changed, relation));
    })];
  }
  return h('div', { class: 'card profile-head', 'data-testid': 'profile' },
    avatar(user, 'large'),
    h('div', { class: 'who' },
      h('h1', {}, user.displayName || user.username),
      h('p', { class: 'muted', 'data-testid': 'profile-username' }, `@${user.username}`,
        user.isPrivate ? h('span', { class: 'badge', 'data-testid': 'private-badge' }, 'Private') : null,
        user.followsViewer ? h('span', { class: 'badge' }, 'Follows you') : null),
      user.bio ? h('p', { 'data-testid': 'profile-bio' }, user.bio) : null,
      h('p', { class: 'stats' },
        countLabel(user.postCount, 'post', 'posts', 'post-count'),
        countLink(user, 'followers', followers, shown),
        countLink(user, 'following', following, shown))),
    h('div', { class: 'profile-actions' }, ...actions, mine ? null : moreActions(user, relation, refresh)));
}

function unblockButton(user, refresh) {
  return h('button', { type: 'button', class: 'primary', 'data-testid': 'unblock-button', onclick: async () => {
    try {
      await mutate('unblock', { id: user.id });
      toast(`You unblocked @${user.username}`);
      refresh();
    } catch (error) {
      toast(error.message);
    }
  } }, 'Unblock');
}

/** What stands in for the grid: a block, or a private account the viewer does not follow. */
function notice(user, relation) {
  if (relation.blocked) {
    return h('div', { class: 'card notice private-notice', 'data-testid': 'blocked-notice' },
      h('h2', {}, `You blocked @${user.username}`),
      h('p', {}, 'They can’t follow you or see your posts, and you won’t see theirs. Unblock them to change that.'));
  }
  return h('div', { class: 'card notice private-notice', 'data-testid': 'private-notice' },
    h('h2', {}, 'This account is private'),
    h('p', {}, user.viewerHasRequestedFollow
      ? `Your follow request is waiting for @${user.username} to approve it.`
      : `Follow @${user.username} to see their photos and who they follow.`));
}

export function profileView(username) {
  const root = h('section', { class: 'profile' });
  const result = { root, title: `@${username}`, dispose: () => { result.dead = true; result.grid?.dispose(); } };
  const build = async (user) => {
    const mine = user.id === session.viewer?.id;
    const relation = mine ? { blocked: false, muted: false } : await relationsTo(user.id);
    if (result.dead) return;
    const shown = !relation.blocked && (mine || !user.isPrivate || user.viewerFollows);
    // Painted again after a block or unblock; focus goes to what replaced the menu's button
    const refresh = () => {
      result.grid?.dispose();
      result.grid = null;
      root.replaceChildren();
      loadUser(username, root, result, async (again) => {
        await build(again);
        (root.querySelector('[data-testid="unblock-button"]') ?? root.querySelector('[data-testid="more-button"]'))?.focus();
      });
    };
    root.append(profileHead(user, relation, shown, refresh));
    if (!shown) {
      root.append(notice(user, relation));
      return;
    }
    result.grid = createGrid(
      async (after, first) => (await gql(Q.userGrid, { username, first, after })).user.posts,
      mine ? 'Share your first photo with “New post”.' : 'No posts yet.',
    );
    root.append(h('h2', { class: 'visually-hidden' }, 'Posts'), ...result.grid.nodes);
  };
  loadUser(username, root, result, build);
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
