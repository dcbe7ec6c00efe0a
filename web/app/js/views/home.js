// Home: the timeline, newest first or ranked, with new posts offered live.

import { gql } from '../api.js';
import { $$, h, tagHref } from '../dom.js';
import { createFeed, personRow } from '../feed.js';
import { live } from '../live.js';
import { Q } from '../queries.js';

const MAX_SEEN = 200; // the server accepts at most 200 `seen` ids
const ORDER_KEY = 'aperture.homeOrder';

function orderSwitch(order, onPick) {
  const choices = [['LATEST', 'Latest'], ['RANKED', 'Ranked']];
  return h('div', { class: 'switch', role: 'group', 'aria-label': 'Order of the home timeline', 'data-testid': 'order-switch' },
    choices.map(([value, label]) => h('button', { type: 'button', 'aria-pressed': String(value === order),
      'data-order': value, onclick: () => value !== order && onPick(value) }, label)));
}

async function suggestions(box, side) {
  const data = await gql(Q.discover);
  const edges = data.viewer.suggestedUsers.edges;
  const tags = data.trendingHashtags.edges;
  if (edges.length) {
    box.replaceChildren(h('h2', {}, 'Suggested for you'),
      h('ul', { class: 'people' }, edges.map((edge) => personRow(edge.node, edge.reason))));
  }
  // On a wide screen the same suggestions and the trending tags sit beside the feed
  side.replaceChildren(
    edges.length ? h('section', { class: 'card side-block', 'aria-labelledby': 'side-people' },
      h('h2', { id: 'side-people' }, 'Suggested for you'),
      h('ul', { class: 'people' }, edges.slice(0, 5).map((edge) => personRow(edge.node, edge.reason)))) : null,
    tags.length ? h('section', { class: 'card side-block', 'aria-labelledby': 'side-tags' },
      h('h2', { id: 'side-tags' }, 'Trending tags'),
      h('ul', { class: 'tags' }, tags.map((edge) => h('li', {}, h('a', { href: tagHref(edge.node.name) }, `#${edge.node.name}`))))) : null,
  );
  return edges.length > 0;
}

export function homeView(rerender) {
  const order = localStorage.getItem(ORDER_KEY) === 'RANKED' ? 'RANKED' : 'LATEST';
  const pill = h('button', { type: 'button', class: 'pill', 'data-testid': 'new-posts-pill', hidden: true });
  const suggested = h('section', { class: 'card suggested', 'data-testid': 'suggested', hidden: true });
  const feed = createFeed(
    async (after, first) => (await gql(Q.home, { first, after, order })).viewer.homeTimeline,
    'Your feed is empty. Follow people to see their posts here.',
  );
  const side = h('div', { class: 'side', 'data-testid': 'side' });
  suggestions(suggested, side).then((any) => feed.ready.then(() => {
    suggested.hidden = !(any && !feed.ids().length); // in the feed only for an empty one
  })).catch(() => {});
  const pick = (value) => { localStorage.setItem(ORDER_KEY, value); rerender(); };
  const column = h('div', { class: 'home-feed' }, orderSwitch(order, pick), pill, suggested, ...feed.nodes);
  const root = h('section', { class: 'home' }, h('h1', { class: 'visually-hidden' }, 'Home'), column, side);
  let pending = []; // POST_ADDED posts not shown yet, newest first
  let subscription = null;
  let dead = false;

  const updatePill = () => {
    pill.hidden = pending.length === 0;
    pill.textContent = `↑ ${pending.length} new post${pending.length === 1 ? '' : 's'}`;
  };
  const resync = (delay = 0) => {
    // RESYNC (or a failed subscription): reload the timeline from the top, then subscribe afresh
    if (!dead) setTimeout(() => !dead && rerender(), delay);
  };
  const onEvent = (event) => {
    if (event.type === 'POST_ADDED') {
      const { post } = event;
      if (event.cursor) feed.state.newestCursor = event.cursor;
      if (feed.has(post.id) || pending.some((item) => item.id === post.id)) return;
      // A resumed subscription replays a look-back window: posts below what is loaded come with paging
      if (feed.state.hasNext && Date.parse(post.createdAt) < feed.oldestAt()) return;
      pending.unshift(post);
    } else if (event.type === 'POST_REMOVED') {
      pending = pending.filter((post) => post.id !== event.postId);
      for (const el of $$(`[data-testid="post"][data-post-id="${CSS.escape(event.postId)}"]`, root)) el.remove();
    } else if (event.type === 'AUTHOR_REMOVED') {
      // The viewer unfollowed someone: their posts leave the feed at once
      pending = pending.filter((post) => post.author.id !== event.authorId);
      for (const el of $$(`[data-testid="post"][data-author-id="${CSS.escape(event.authorId)}"]`, root)) el.remove();
    } else if (event.type === 'RESYNC') {
      resync();
      return;
    }
    updatePill();
  };
  const subscribe = (resume) => {
    subscription = live.subscribe({
      query: Q.homeUpdates,
      // Evaluated at every (re)subscribe. The first one starts from now: the timeline was just
      // loaded. After a reconnect, resume after the newest cursor, skipping the posts we hold.
      variables: () => {
        const variables = resume ? {
          after: feed.state.newestCursor,
          seen: [...pending.map((post) => post.id), ...feed.ids()].slice(0, MAX_SEEN),
        } : {};
        resume = true;
        return variables;
      },
      onData: ({ homeTimelineUpdates: event }) => feed.ready.then(() => !dead && onEvent(event)),
      onError: () => resync(2000),
      onComplete: () => !dead && setTimeout(() => subscribe(true), 1000), // ended by the server
    });
  };
  subscribe(false);

  pill.addEventListener('click', () => {
    for (const post of pending.reverse()) feed.prepend(post);
    pending = [];
    updatePill();
    window.scrollTo({ top: 0, behavior: 'smooth' });
  });
  return {
    root,
    title: 'Home',
    prepend: (post) => { pending = pending.filter((item) => item.id !== post.id); updatePill(); feed.prepend(post); },
    forget: (postId) => { pending = pending.filter((post) => post.id !== postId); updatePill(); },
    dispose: () => { dead = true; if (subscription) live.unsubscribe(subscription); feed.dispose(); },
  };
}
