// Aperture's web client: plain ES modules, no framework, no build step.
// HTTP POST /graphql for queries and mutations; one WebSocket (graphql-transport-ws) for live updates.

import { authView } from './auth.js';
import { gql, mutate, onUnauthenticated } from './api.js';
import { setupComposer, openComposer } from './composer.js';
import { $, profileHref, toast } from './dom.js';
import { live } from './live.js';
import { notificationsView, startNotifications } from './notifications.js';
import { onPostRemoved } from './post-card.js';
import { Q } from './queries.js';
import { dropToken, onOtherTab, saveToken, session } from './session.js';
import { homeView } from './views/home.js';
import { postView } from './views/post.js';
import { privacyView } from './views/privacy.js';
import { peopleView, profileView } from './views/profile.js';
import { requestsView } from './views/requests.js';
import { searchView } from './views/search.js';
import { settingsView } from './views/settings.js';
import { tagView } from './views/tag.js';

let view = null;

const ROUTES = [
  [/^#\/p\/([^/]+)$/, (id) => postView(id)],
  [/^#\/u\/([^/]+)\/(followers|following)$/, (name, which) => peopleView(name, which)],
  [/^#\/u\/([^/]+)$/, (name) => profileView(name)],
  [/^#\/tag\/([^/]+)$/, (name) => tagView(name)],
  [/^#\/search$/, () => searchView()],
  [/^#\/notifications$/, () => notificationsView()],
  [/^#\/settings$/, () => settingsView(paintMe)],
  [/^#\/settings\/privacy$/, () => privacyView()],
  [/^#\/requests$/, () => requestsView()],
];

function mount(next) {
  view?.dispose?.();
  view = next;
  $('#view').replaceChildren(...(next ? [next.root] : []));
}

function route() {
  if (!session.viewer) return;
  let next = null;
  for (const [pattern, make] of ROUTES) {
    const match = location.hash.match(pattern);
    if (match) { next = make(...match.slice(1).map(decodeURIComponent)); break; }
  }
  next ??= homeView(route);
  mount(next);
  document.title = next.title === 'Home' ? 'Aperture' : `${next.title} · Aperture`;
  for (const link of document.querySelectorAll('.topbar nav a')) {
    if (link.getAttribute('href') === (location.hash || '#/')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  window.scrollTo(0, 0);
  next.focus?.focus();
}

function paintMe(user) {
  const me = $('#my-profile');
  me.href = profileHref(user.username);
  const thumb = user.avatar?.state === 'READY' ? user.avatar.thumb : null;
  me.classList.toggle('has-photo', Boolean(thumb));
  if (thumb) $('.me-photo', me).src = thumb;
  else $('.me-photo', me).removeAttribute('src');
  $('.label', me).textContent = `@${user.username}`;
}

function startSession(user) {
  session.viewer = user;
  $('#topbar').hidden = false;
  $('#view').removeAttribute('aria-busy');
  paintMe(user);
  live.start(session.token);
  startNotifications(user.unreadNotificationCount ?? 0);
  route();
}

function showAuth() {
  live.stop();
  mount(null);
  $('#topbar').hidden = true;
  const auth = authView(async (token, user) => {
    saveToken(token);
    startSession((await gql(Q.viewer)).viewer ?? user);
  });
  mount(auth);
}

function signedOut(message) {
  dropToken();
  if ($('#composer').open) $('#composer').close();
  showAuth();
  if (message) toast(message);
}

async function signOut() {
  // Forget the token first, so other tabs follow at once (the storage event), then revoke it
  const { token } = session;
  signedOut();
  try {
    await mutate('signOut', {}, token);
  } catch { /* it is forgotten either way */ }
}

async function resume() {
  if (session.token) {
    try {
      const { viewer } = await gql(Q.viewer);
      if (viewer) { startSession(viewer); return; }
    } catch (error) {
      toast(error.message);
    }
    dropToken();
  }
  showAuth();
}

function boot() {
  window.addEventListener('hashchange', route);
  $('#sign-out').addEventListener('click', signOut);
  $('#new-post').addEventListener('click', openComposer);
  $('.brand').addEventListener('click', () => { if (location.hash === '#/' || !location.hash) route(); });
  setupComposer((post) => {
    // Our own post goes straight to the top of the home feed (its POST_ADDED is then skipped)
    if (view?.prepend) view.prepend(post);
    else if (location.hash === profileHref(session.viewer.username)) route();
  });
  onPostRemoved((postId) => view?.forget?.(postId));
  onUnauthenticated(() => signedOut('Your session has ended'));
  live.onEnded = () => signedOut('Your session has ended');
  // Another tab signed out (or in as someone else): follow it
  onOtherTab((token) => {
    if (token === session.token) return;
    if (!token) { signedOut('You signed out in another tab'); return; }
    session.token = token;
    resume();
  });
  resume();
}

boot();
