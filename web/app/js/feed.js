// Cursor-paged lists with infinite scroll: a feed of cards, a grid of tiles, a list of people.

import { mutate } from './api.js';
import { $, $$, avatar, h, postHref, profileHref, sleep, toast } from './dom.js';
import { forgetCard } from './live.js';
import { tilePicture } from './media.js';
import { renderPost } from './post-card.js';
import { session } from './session.js';

const PAGE_SIZE = 12;

/** Pages through `fetchPage(after, first)` (a connection) into `list`, with `renderEdge` per edge. */
function pager(list, fetchPage, renderEdge, emptyText) {
  const sentinel = h('p', { class: 'sentinel', 'data-testid': 'feed-end', 'aria-live': 'polite' });
  const state = { after: null, hasNext: true, loading: false, newestCursor: null, dead: false };
  const scroller = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  }, { rootMargin: '800px' });
  const has = (id) => Boolean($(`[data-id="${CSS.escape(id)}"]`, list));

  async function loadMore() {
    if (state.loading || !state.hasNext || state.dead) return;
    state.loading = true;
    sentinel.textContent = 'Loading…';
    try {
      const page = await fetchPage(state.after, PAGE_SIZE);
      if (state.dead) return;
      for (const edge of page.edges) if (!has(edge.node.id)) list.append(renderEdge(edge));
      state.newestCursor ??= page.edges[0]?.cursor ?? null;
      state.after = page.pageInfo.endCursor;
      state.hasNext = page.pageInfo.hasNextPage;
      sentinel.textContent = state.hasNext ? '' : list.children.length ? 'You’re all caught up' : emptyText;
    } catch (error) {
      sentinel.textContent = `Could not load: ${error.message}`;
      await sleep(3000); // then the re-observe below retries
    } finally {
      state.loading = false;
    }
    // Observing again reports the sentinel's state afresh: keeps loading while it is still in view
    if (state.hasNext && !state.dead) {
      scroller.unobserve(sentinel);
      scroller.observe(sentinel);
    }
  }

  const ready = loadMore();
  scroller.observe(sentinel);
  return { sentinel, state, ready, has, dispose() { state.dead = true; scroller.disconnect(); } };
}

export function createFeed(fetchPage, emptyText) {
  const list = h('div', { class: 'feed', 'data-testid': 'feed' });
  const render = (edge) => {
    const el = renderPost(edge.node, { reason: edge.reason });
    el.dataset.id = edge.node.id;
    return el;
  };
  const paging = pager(list, fetchPage, render, emptyText);
  return {
    nodes: [list, paging.sentinel], state: paging.state, ready: paging.ready, has: paging.has,
    ids: () => $$('[data-testid="post"]', list).map((el) => el.dataset.postId),
    oldestAt: () => Date.parse(list.lastElementChild?.dataset.createdAt ?? '') || 0,
    prepend(post) {
      if (paging.has(post.id)) return;
      list.prepend(render({ node: post }));
      if (!paging.state.hasNext) paging.sentinel.textContent = 'You’re all caught up';
    },
    dispose() {
      paging.dispose();
      for (const el of $$('[data-testid="post"]', list)) forgetCard(el);
      for (const video of $$('video', list)) video.hls?.destroy();
    },
  };
}

function renderTile({ node: post }) {
  const label = post.state === 'FAILED' ? 'Failed post' : post.caption.slice(0, 80) || 'Post';
  const video = post.media.some((item) => item.type === 'VIDEO');
  const tile = h('a', { class: 'tile', href: postHref(post.id), 'data-testid': 'grid-tile', 'data-id': post.id,
    'data-state': post.state, 'aria-label': post.state === 'VISIBLE' ? null : label },
    tilePicture(post),
    post.media.length > 1 ? h('span', { class: 'tile-badge', 'aria-hidden': 'true' }, '❐') : null,
    video ? h('span', { class: 'tile-badge', 'aria-hidden': 'true' }, '▶') : null,
    post.state === 'FAILED' ? h('span', { class: 'tile-state failed' }, 'Failed') : null,
    post.state === 'PROCESSING' ? h('span', { class: 'tile-state' }, 'Processing…') : null,
    post.state === 'VISIBLE' ? h('span', { class: 'tile-hover', 'aria-hidden': 'true' },
      `♥ ${post.likeCount}  💬 ${post.commentCount}`) : null);
  return tile;
}

export function createGrid(fetchPage, emptyText) {
  const list = h('div', { class: 'grid', 'data-testid': 'grid' });
  const paging = pager(list, fetchPage, renderTile, emptyText);
  return { nodes: [list, paging.sentinel], ready: paging.ready, dispose: () => paging.dispose() };
}

/** Follow, Unfollow, or (a private account's pending request) Requested, which cancels it. */
export function followButton(user, onChange = () => {}) {
  const button = h('button', { type: 'button', 'data-testid': 'follow-button' });
  const paint = () => {
    const requested = !user.viewerFollows && user.viewerHasRequestedFollow;
    button.textContent = user.viewerFollows ? 'Unfollow' : requested ? 'Requested' : 'Follow';
    button.title = requested ? 'Waiting for approval: select to cancel the request' : '';
    button.classList.toggle('primary', !user.viewerFollows && !requested);
  };
  const action = () => {
    if (user.viewerFollows) return 'unfollow';
    return user.viewerHasRequestedFollow ? 'cancelFollowRequest' : 'follow';
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const payload = await mutate(action(), { id: user.id });
      Object.assign(user, payload.user);
      paint();
      if (payload.requested) toast(`Follow request sent to @${user.username}`);
      onChange(user);
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
    }
  });
  paint();
  return button;
}

/** A person in a list; `actions` are the buttons at its end (a follow button unless given). */
export function personRow(user, note = '', actions = null) {
  return h('li', { class: 'person', 'data-testid': 'person' },
    avatar(user),
    h('div', { class: 'who' },
      h('a', { class: 'author', href: profileHref(user.username) }, user.username),
      h('span', { class: 'muted' }, note || user.displayName)),
    actions ?? (user.id === session.viewer?.id ? null : followButton(user)));
}

/** People paged from `fetchPage`; `row(user, reason)` renders each (a person with a follow button unless given). */
export function createPeopleList(fetchPage, emptyText, row = personRow) {
  const list = h('ul', { class: 'people card', 'data-testid': 'people' });
  const paging = pager(list, fetchPage, (edge) => {
    const el = row(edge.node, edge.reason);
    el.dataset.id = edge.node.id;
    return el;
  }, emptyText);
  return { nodes: [list, paging.sentinel], ready: paging.ready, dispose: () => paging.dispose() };
}

