// Follow requests: people asking to follow the viewer's private account, each to approve or reject.

import { gql, mutate } from '../api.js';
import { h, toast } from '../dom.js';
import { createPeopleList, personRow } from '../feed.js';
import { Q } from '../queries.js';
import { refreshRequestCount } from '../request-count.js';

function requestRow(user) {
  const decide = async (name, outcome) => {
    for (const button of buttons) button.disabled = true;
    try {
      await mutate(name, { id: user.id });
      row.querySelector('.decision').replaceChildren(h('span', { class: 'muted', role: 'status',
        'data-testid': 'request-outcome' }, outcome));
      refreshRequestCount();
    } catch (error) {
      toast(error.message);
      for (const button of buttons) button.disabled = false;
    }
  };
  const buttons = [
    h('button', { type: 'button', class: 'primary', 'data-testid': 'approve-request', 'aria-label': `Approve @${user.username}`,
      onclick: () => decide('approveFollowRequest', 'Approved: now follows you') }, 'Approve'),
    h('button', { type: 'button', 'data-testid': 'reject-request', 'aria-label': `Reject @${user.username}`,
      onclick: () => decide('rejectFollowRequest', 'Request removed') }, 'Reject'),
  ];
  const row = personRow(user, '', h('div', { class: 'decision row' }, ...buttons));
  return row;
}

export function requestsView() {
  const root = h('section', { class: 'people-page' },
    h('h1', {}, 'Follow requests'),
    h('p', { class: 'muted' }, 'Your account is private: only the people you approve see your posts and who you follow.'));
  const result = { root, title: 'Follow requests', dispose: () => result.list.dispose() };
  result.list = createPeopleList(
    async (after, first) => (await gql(Q.followRequests, { first, after })).viewer.followRequests,
    'No one is waiting for approval.',
    requestRow,
  );
  root.append(...result.list.nodes);
  return result;
}
