// A post as a card: media, likes, comments, all kept live while it is on screen.

import { ApiError, gql, mutate } from './api.js';
import { $, $$, ago, avatar, countLabel, h, linkify, postHref, profileHref, toast } from './dom.js';
import { forgetCard, observeCard, onPostUpdate, unwatchPost } from './live.js';
import { renderCarousel } from './media.js';
import { moreMenu, openReport } from './safety.js';
import { Q } from './queries.js';
import { session } from './session.js';

const hooks = { removed: () => {} };
export const onPostRemoved = (callback) => { hooks.removed = callback; };

export const cardsOf = (postId) => $$(`[data-testid="post"][data-post-id="${CSS.escape(postId)}"]`);

function renderHeader(post, el) {
  const time = h('time', { datetime: post.createdAt, title: new Date(post.createdAt).toLocaleString() }, ago(post.createdAt));
  const remove = post.author.id === session.viewer?.id
    ? h('button', { type: 'button', class: 'link delete', 'data-testid': 'delete-post', onclick: () => deletePost(post.id) }, 'Delete')
    : moreMenu(`More options for this post by ${post.author.username}`, () => [
      ['Report post', (opener) => openReport('post', post.id, post.author.username, opener), 'menu-report-post'],
    ]);
  return h('header', {},
    avatar(post.author),
    h('div', { class: 'byline' },
      h('a', { class: 'author', 'data-testid': 'post-author', href: profileHref(post.author.username),
        title: post.author.displayName }, post.author.username),
      h('a', { class: 'when', href: postHref(post.id), 'data-testid': 'post-link' }, time),
      el.reason ? h('span', { class: 'reason', 'data-testid': 'post-reason' }, el.reason) : null),
    remove);
}

/** Options: reason (ranked feed), full (the post page: every comment, loaded by the page). */
export function renderPost(post, { reason = null, full = false } = {}) {
  const el = h('article', { class: 'post card', 'data-testid': 'post', 'data-post-id': post.id,
    'data-author-id': post.author.id, 'data-state': post.state, 'data-created-at': post.createdAt,
    'aria-label': `Post by ${post.author.username}` });
  el.reason = reason;
  el.append(renderHeader(post, el));
  if (post.state === 'FAILED') {
    // Nobody else ever sees it: say what went wrong, and offer only to delete it
    const reasons = post.media.filter((item) => item.state === 'FAILED').map((item) => item.failureReason);
    el.append(h('p', { class: 'failed-note', 'data-testid': 'post-failed', role: 'note' },
      `This post could not be published: ${reasons.join('; ') || 'processing failed'}.`));
    return el;
  }
  if (post.media.length) el.append(renderCarousel(post.media));
  const like = h('button', { type: 'button', class: 'like', 'data-testid': 'like-button', 'aria-pressed': 'false',
    'aria-label': 'Like', onclick: () => toggleLike(post.id, like) }, h('span', { 'aria-hidden': 'true' }, '♡'));
  const likes = countLabel(post.likeCount, 'like', 'likes', 'like-count');
  const comments = countLabel(post.commentCount, 'comment', 'comments', 'comment-count');
  el.append(h('div', { class: 'actions' }, like,
    h('a', { href: postHref(post.id), class: 'counts', 'data-testid': 'likes-link' }, likes),
    h('a', { href: postHref(post.id), class: 'counts' }, comments),
    post.state === 'PROCESSING' ? h('span', { class: 'state', 'data-testid': 'post-state' }, 'Processing…') : null));
  el.counts = { likes, comments };
  if (post.caption) {
    el.append(h('p', { class: 'caption', 'data-testid': 'post-caption' },
      h('a', { class: 'author', href: profileHref(post.author.username) }, post.author.username), ' ', ...linkify(post.caption)));
  }
  const list = h('ul', { class: 'comments', 'data-testid': 'comments', 'aria-label': 'Comments' });
  const more = h('a', { class: 'more-comments muted', href: postHref(post.id), 'data-testid': 'more-comments', hidden: true });
  el.append(list, more);
  el.thread = { list, more, ids: new Set(), endCursor: null, complete: true, full };
  if (!full) appendComments(el, post.comments);
  el.append(commentForm(post.id, el));
  applyCountsTo(el, post);
  if (post.state === 'VISIBLE') observeCard(el);
  return el;
}

export function renderComment(comment) {
  const author = comment.author?.username;
  return h('li', { 'data-testid': 'comment', 'data-comment-id': comment.id },
    author ? h('a', { class: 'author', href: profileHref(author) }, author) : h('span', { class: 'muted' }, 'deleted'),
    ' ', ...linkify(comment.text));
}

/** Adds a page of comments (oldest first) to a card, skipping any it already shows. */
export function appendComments(el, connection) {
  const { thread } = el;
  for (const { node } of connection.edges) {
    if (thread.ids.has(node.id)) continue;
    thread.ids.add(node.id);
    thread.list.append(renderComment(node));
  }
  thread.endCursor = connection.pageInfo.endCursor ?? thread.endCursor;
  thread.complete = !connection.pageInfo.hasNextPage;
  paintMore(el);
}

function paintMore(el) {
  const { thread } = el;
  const total = Number(el.counts.comments.dataset.count);
  thread.more.hidden = thread.full || thread.ids.size >= total;
  thread.more.textContent = `View all ${total} comments`;
}

function commentForm(postId, el) {
  const id = `comment-${postId}-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { id, name: 'text', 'data-testid': 'comment-input', placeholder: 'Add a comment…',
    maxlength: 2200, autocomplete: 'off', required: true });
  return h('form', { class: 'comment-form', onsubmit: (event) => addComment(event, postId, el) },
    h('label', { for: id, class: 'visually-hidden' }, 'Add a comment'), input,
    h('button', { type: 'submit', 'data-testid': 'comment-submit' }, 'Post'));
}

export function applyCountsTo(el, counts) {
  if (!el.counts) return;
  if (counts.likeCount != null) el.counts.likes.set(counts.likeCount);
  if (counts.commentCount != null) {
    el.counts.comments.set(counts.commentCount);
    paintMore(el);
  }
  if (counts.viewerHasLiked != null) {
    const like = $('.like', el);
    like.setAttribute('aria-pressed', String(counts.viewerHasLiked));
    $('span', like).textContent = counts.viewerHasLiked ? '♥' : '♡';
  }
}

const fetching = new Set();

/** Someone commented: fetch what the card has not shown yet, when it shows the thread to its end. */
async function followThread(postId) {
  if (fetching.has(postId)) return;
  const cards = cardsOf(postId).filter((el) => el.thread?.complete
    && el.thread.ids.size < Number(el.counts.comments.dataset.count));
  if (!cards.length) return;
  fetching.add(postId);
  try {
    for (const el of cards) {
      const data = await gql(Q.comments, { id: postId, first: 50, after: el.thread.endCursor });
      if (data.post) appendComments(el, data.post.comments);
    }
  } catch { /* the next update tries again */ } finally {
    fetching.delete(postId);
  }
}

export function removePost(postId) {
  unwatchPost(postId, true);
  for (const el of cardsOf(postId)) {
    forgetCard(el);
    for (const video of $$('video', el)) video.hls?.destroy();
    el.remove();
  }
  hooks.removed(postId);
}

onPostUpdate((update) => {
  for (const el of cardsOf(update.postId)) applyCountsTo(el, update);
  followThread(update.postId);
  document.dispatchEvent(new CustomEvent('post-update', { detail: update }));
}, removePost);

async function toggleLike(postId, button) {
  const name = button.getAttribute('aria-pressed') === 'true' ? 'unlikePost' : 'likePost';
  button.disabled = true;
  try {
    const { post } = await mutate(name, { id: postId });
    for (const el of cardsOf(post.id)) applyCountsTo(el, post);
  } catch (error) {
    toast(error.message);
  } finally {
    button.disabled = false;
  }
}

async function addComment(event, postId, el) {
  event.preventDefault();
  const form = event.currentTarget;
  const text = form.elements.text.value.trim();
  if (!text) return;
  const button = $('button', form);
  button.disabled = true;
  try {
    const { comment } = await mutate('addComment', { id: postId, text });
    form.reset();
    // The server's count already includes this comment: take it rather than adding one here,
    // which a live update arriving first would then count twice
    for (const card of cardsOf(postId)) {
      if (!card.thread.ids.has(comment.id)) {
        card.thread.ids.add(comment.id);
        card.thread.list.append(renderComment(comment));
      }
      const shown = Number(card.counts.comments.dataset.count);
      applyCountsTo(card, { commentCount: Math.max(shown, comment.post?.commentCount ?? shown) });
    }
  } catch (error) {
    toast(error instanceof ApiError ? error.message : String(error));
  } finally {
    button.disabled = false;
  }
}

async function deletePost(postId) {
  if (!window.confirm('Delete this post?')) return;
  try {
    await mutate('deletePost', { id: postId });
    removePost(postId);
  } catch (error) {
    toast(error.message);
  }
}
