// Notifications: the unread badge in the top bar (live), and the page listing the groups.

import { gql, mutate } from './api.js';
import { $, ago, avatar, clip, h, postHref, profileHref } from './dom.js';
import { live } from './live.js';
import { Q } from './queries.js';
import { requestsLink } from './request-count.js';
import { session } from './session.js';

const VERBS = { LIKE: 'liked your post', COMMENT: 'commented on your post', FOLLOW: 'started following you',
  MENTION: 'mentioned you' };
const state = { unread: 0, subscription: null, listeners: new Set() };

function paintBadge() {
  const badge = $('[data-testid="unread-badge"]');
  badge.hidden = state.unread === 0;
  $('.count', badge).textContent = state.unread > 99 ? '99+' : String(state.unread);
}

export function setUnread(count) {
  state.unread = count;
  paintBadge();
}

export function startNotifications(unread) {
  setUnread(unread);
  state.subscription = live.subscribe({
    query: Q.notificationEvents,
    onData: ({ notificationEvents: event }) => {
      setUnread(event.unreadCount);
      for (const listener of state.listeners) listener(event);
    },
  });
}

function who(actors, total) {
  const names = actors.map((actor) => actor.username);
  if (total <= 1 || names.length === 0) return names[0] ?? 'Someone';
  const others = total - 1;
  return `${names[0]} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

function renderGroup(group) {
  const first = group.actors[0];
  const href = group.post ? postHref(group.post.id) : profileHref(first?.username ?? '');
  const thumb = group.post?.media[0]?.thumb;
  return h('li', { class: `notification${group.read ? '' : ' unread'}`, 'data-testid': 'notification' },
    first ? avatar(first) : null,
    h('a', { href, class: 'what' }, h('b', {}, who(group.actors, group.totalCount)), ` ${VERBS[group.kind]}`,
      group.post?.caption ? h('span', { class: 'muted' }, `: “${clip(group.post.caption, 60)}”`) : null),
    h('time', { datetime: group.latestAt, class: 'muted' }, ago(group.latestAt)),
    thumb ? h('img', { src: thumb, alt: '', class: 'notification-thumb' }) : null);
}

export function notificationsView() {
  const list = h('ul', { class: 'notifications card', 'data-testid': 'notifications' });
  const note = h('p', { class: 'muted' }, 'Loading…');
  const root = h('section', { class: 'notifications-page' }, h('h1', {}, 'Notifications'),
    session.viewer?.isPrivate ? h('p', { class: 'card requests-row' }, requestsLink()) : null, note, list);
  const load = async () => {
    const data = await gql(Q.notifications, { first: 30 });
    const edges = data.viewer.notifications.edges;
    list.replaceChildren(...edges.map((edge) => renderGroup(edge.node)));
    list.hidden = !edges.length;
    note.textContent = edges.length ? '' : 'Nothing yet. Likes, comments, follows and mentions show up here.';
    if (data.viewer.unreadNotificationCount) setUnread((await mutate('markRead')).unreadCount);
  };
  let timer = 0;
  const listener = (event) => { clearTimeout(timer); timer = setTimeout(() => load().catch(() => {}), event.type === 'READ' ? 0 : 300); };
  state.listeners.add(listener);
  load().catch((error) => { note.textContent = error.message; });
  return { root, title: 'Notifications', dispose: () => { state.listeners.delete(listener); clearTimeout(timer); } };
}
