// A hashtag's page: its posts as a grid, and a button to follow the tag.

import { gql, mutate } from '../api.js';
import { h, toast } from '../dom.js';
import { createGrid } from '../feed.js';
import { Q } from '../queries.js';

export function tagView(name) {
  const follow = h('button', { type: 'button', class: 'primary', 'data-testid': 'follow-tag', hidden: true });
  const root = h('section', { class: 'tag-page' },
    h('div', { class: 'card profile-head' }, h('div', { class: 'who' }, h('h1', { 'data-testid': 'tag-name' }, `#${name}`),
      h('p', { class: 'muted' }, 'Posts with this tag, newest first.')), h('div', { class: 'profile-actions' }, follow)));
  let following = false;
  const paint = () => {
    follow.hidden = false;
    follow.textContent = following ? 'Unfollow tag' : 'Follow tag';
    follow.classList.toggle('primary', !following);
  };
  follow.addEventListener('click', async () => {
    follow.disabled = true;
    try {
      const payload = await mutate(following ? 'unfollowHashtag' : 'followHashtag', { name });
      following = payload.hashtag.viewerFollows;
      paint();
    } catch (error) {
      toast(error.message);
    } finally {
      follow.disabled = false;
    }
  });
  const grid = createGrid(async (after, first) => {
    const { hashtag } = await gql(Q.hashtag, { name, first, after });
    following = hashtag.viewerFollows;
    paint();
    return hashtag.posts;
  }, 'No posts carry this tag yet.');
  root.append(h('h2', { class: 'visually-hidden' }, 'Posts'), ...grid.nodes);
  return { root, title: `#${name}`, dispose: () => grid.dispose() };
}
