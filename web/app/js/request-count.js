// How many people wait for the viewer's approval, shown as a badge wherever follow requests are linked.

import { gql } from './api.js';
import { $$, h } from './dom.js';
import { Q } from './queries.js';

let count = 0;

function paint() {
  for (const link of $$('[data-follow-requests]')) {
    link.querySelector('.request-count')?.remove();
    if (count) {
      link.append(' ', h('span', { class: 'badge request-count', 'data-testid': 'request-count' },
        count > 99 ? '99+' : String(count), h('span', { class: 'visually-hidden' }, ' waiting')));
    }
  }
}

/** Fetches the count (at most 100 are counted) and paints every badge on the page. */
export async function refreshRequestCount() {
  try {
    const { followRequests } = (await gql(Q.requestCount)).viewer;
    count = followRequests.edges.length + (followRequests.pageInfo.hasNextPage ? 1 : 0);
  } catch {
    return; // the badge stays as it was
  }
  paint();
}

/** A link to the follow requests page, with its count badge. */
export function requestsLink(attrs = {}) {
  const link = h('a', { href: '#/requests', 'data-follow-requests': '', 'data-testid': 'requests-link', ...attrs },
    'Follow requests');
  refreshRequestCount();
  return link;
}
