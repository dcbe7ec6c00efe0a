// A post's own page: the post, every comment (paged), who liked it; counts and comments live.

import { gql } from '../api.js';
import { $, h } from '../dom.js';
import { personRow } from '../feed.js';
import { unwatchPost, watchPost } from '../live.js';
import { appendComments, renderPost } from '../post-card.js';
import { Q } from '../queries.js';

const COMMENT_PAGE = 50;

async function loadLikers(postId, box) {
  const data = await gql(Q.likers, { id: postId, first: 20 });
  const edges = data.post?.likers.edges ?? [];
  box.replaceChildren(h('h2', {}, 'Liked by'),
    edges.length ? h('ul', { class: 'people' }, edges.map((edge) => personRow(edge.node)))
      : h('p', { class: 'muted' }, 'No likes yet.'));
}

export function postView(postId) {
  const status = h('p', { class: 'card notice' }, 'Loading…');
  const root = h('section', { class: 'post-page' }, h('h1', { class: 'visually-hidden' }, 'Post'), status);
  let likes = null;
  let timer = 0;
  // Who liked it follows the live like count
  const onUpdate = ({ detail }) => {
    if (detail.postId !== postId || likes === null || detail.likeCount === likes) return;
    likes = detail.likeCount;
    clearTimeout(timer);
    timer = setTimeout(() => loadLikers(postId, $('[data-testid="likers"]', root)).catch(() => {}), 200);
  };
  document.addEventListener('post-update', onUpdate);
  const result = { root, title: 'Post', dispose: () => {
    result.dead = true;
    clearTimeout(timer);
    document.removeEventListener('post-update', onUpdate);
    if (result.watching) unwatchPost(postId);
  } };
  gql(Q.post, { id: postId }).then(async (data) => {
    if (result.dead) return;
    if (!data.post) { status.textContent = 'This post does not exist, or was deleted.'; return; }
    const { post } = data;
    result.title = `${post.author.username}: ${post.caption.slice(0, 40) || 'post'}`;
    document.title = `${result.title} · Aperture`;
    const card = renderPost(post, { full: true });
    const likers = h('section', { class: 'card likers', 'data-testid': 'likers' });
    const older = h('button', { type: 'button', class: 'link', 'data-testid': 'older-comments', hidden: true }, 'More comments');
    status.replaceWith(card, likers);
    if (!card.thread) return; // a failed post: nothing more to show
    card.thread.list.after(older);
    const page = async () => {
      const more = await gql(Q.comments, { id: postId, first: COMMENT_PAGE, after: card.thread.endCursor });
      if (more.post) appendComments(card, more.post.comments);
      older.hidden = card.thread.complete;
    };
    older.addEventListener('click', page);
    await page();
    watchPost(postId); // the page holds its own subscription, wherever the card is scrolled
    result.watching = true;
    await loadLikers(postId, likers);
    likes = post.likeCount;
  }).catch((error) => { status.textContent = error.message; });
  return result;
}
