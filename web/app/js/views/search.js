// Search people as you type; before typing, suggested accounts and trending tags.

import { gql } from '../api.js';
import { h, plural, tagHref } from '../dom.js';
import { personRow } from '../feed.js';
import { Q } from '../queries.js';

export function searchView() {
  const input = h('input', { id: 'search-input', type: 'search', 'data-testid': 'search-input', autocomplete: 'off',
    placeholder: 'Name or username', 'aria-controls': 'search-results' });
  const results = h('ul', { id: 'search-results', class: 'people card', 'data-testid': 'search-results', 'aria-live': 'polite', hidden: true });
  const note = h('p', { class: 'muted', 'data-testid': 'search-note', 'aria-live': 'polite' });
  const discover = h('div', { class: 'discover' });
  const root = h('section', { class: 'search-page' }, h('h1', {}, 'Search'),
    h('form', { role: 'search', class: 'card search-box', onsubmit: (event) => event.preventDefault() },
      h('label', { for: 'search-input' }, 'Search people'), input),
    note, results, discover);
  let timer = 0;
  let asked = '';
  const run = async () => {
    const query = input.value.trim();
    asked = query;
    discover.hidden = query.length > 0;
    if (query.length < 2) {
      results.hidden = true;
      note.textContent = query ? 'Type at least 2 letters.' : '';
      return;
    }
    try {
      const data = await gql(Q.search, { query, first: 10 });
      if (asked !== query) return; // a newer query is on its way
      const edges = data.searchUsers.edges;
      results.replaceChildren(...edges.map((edge) => personRow(edge.node)));
      results.hidden = !edges.length;
      note.textContent = edges.length ? plural(edges.length, 'person', 'people') : `No one matches “${query}”.`;
    } catch (error) {
      note.textContent = error.message;
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 200); });
  gql(Q.discover).then((data) => {
    const people = data.viewer.suggestedUsers.edges;
    const tags = data.trendingHashtags.edges;
    discover.replaceChildren(
      people.length ? h('section', { class: 'card suggested', 'data-testid': 'suggested' }, h('h2', {}, 'Suggested for you'),
        h('ul', { class: 'people' }, people.map((edge) => personRow(edge.node, edge.reason)))) : null,
      tags.length ? h('section', { class: 'card trending', 'data-testid': 'trending' }, h('h2', {}, 'Trending tags'),
        h('ul', { class: 'tags' }, tags.map((edge) => h('li', {}, h('a', { href: tagHref(edge.node.name) }, `#${edge.node.name}`),
          ' ', h('span', { class: 'muted' }, plural(edge.authorCount, 'person', 'people')))))) : null,
    );
  }).catch(() => {});
  return { root, title: 'Search', focus: input, dispose: () => clearTimeout(timer) };
}
