// Aperture's web client: one plain ES module, no framework, no build step.
// HTTP POST /graphql for queries and mutations; one WebSocket (graphql-transport-ws) for live updates.

const TOKEN_KEY = 'aperture.token';
const PAGE_SIZE = 10;
const MAX_SEEN = 200;          // the server accepts at most 200 `seen` ids
const MAX_WATCHED = 30;        // postUpdates subscriptions open at once
const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/gif', 'video/mp4', 'video/quicktime'];
const BY_EXTENSION = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp',
  heic: 'image/heic', gif: 'image/gif', mp4: 'video/mp4', mov: 'video/quicktime' };

// ---------------------------------------------------------------- GraphQL documents

const POST_FIELDS = `fragment PostFields on Post {
  id caption createdAt state likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type state failureReason altText width height blurhash
    thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) hlsUrl posterUrl }
  comments(first: 3) { edges { node { id text author { username } } } }
}`;
const CONNECTION = 'edges { cursor node { ...PostFields } } pageInfo { hasNextPage endCursor }';
const AUTH_FIELDS = 'token user { id username displayName } errors { field code message }';
const Q = {
  viewer: '{ viewer { id username displayName } }',
  signIn: `mutation($username: String!, $password: String!) { signIn(username: $username, password: $password) { ${AUTH_FIELDS} } }`,
  signUp: `mutation($username: String!, $password: String!, $displayName: String) {
    signUp(username: $username, password: $password, displayName: $displayName) { ${AUTH_FIELDS} } }`,
  signOut: 'mutation { signOut { signedOut errors { code message } } }',
  home: `query($first: Int!, $after: String) { viewer { id homeTimeline(first: $first, after: $after) { ${CONNECTION} } } } ${POST_FIELDS}`,
  user: `query($username: String!) { user(username: $username) {
    id username displayName bio followerCount followingCount postCount viewerFollows followsViewer } }`,
  userPosts: `query($username: String!, $first: Int!, $after: String) {
    user(username: $username) { id posts(first: $first, after: $after) { ${CONNECTION} } } } ${POST_FIELDS}`,
  post: `query($id: ID!) { post(id: $id) { ...PostFields } } ${POST_FIELDS}`,
  likePost: 'mutation($id: ID!) { likePost(postId: $id) { changed post { id likeCount viewerHasLiked } errors { code message } } }',
  unlikePost: 'mutation($id: ID!) { unlikePost(postId: $id) { changed post { id likeCount viewerHasLiked } errors { code message } } }',
  addComment: `mutation($id: ID!, $text: String!) { addComment(postId: $id, text: $text) {
    comment { id text author { username } } errors { code message } } }`,
  deletePost: 'mutation($id: ID!) { deletePost(id: $id) { deletedPostId errors { code message } } }',
  follow: 'mutation($id: ID!) { follow(userId: $id) { changed user { id viewerFollows followerCount } errors { code message } } }',
  unfollow: 'mutation($id: ID!) { unfollow(userId: $id) { changed user { id viewerFollows followerCount } errors { code message } } }',
  requestUpload: `mutation($type: String!, $size: Int!) { requestUpload(contentType: $type, byteSize: $size) {
    upload { id target { url method fields { name value } headers { name value } expiresAt } } errors { code message } } }`,
  createPost: `mutation($caption: String!, $media: [MediaInput!]) { createPost(caption: $caption, media: $media) {
    post { ...PostFields } errors { code message } } } ${POST_FIELDS}`,
  homeUpdates: `subscription($after: String, $seen: [ID!]) { homeTimelineUpdates(after: $after, seen: $seen) {
    type cursor postId authorId post { ...PostFields } } } ${POST_FIELDS}`,
  postUpdates: 'subscription($id: ID!) { postUpdates(id: $id) { postId likeCount commentCount deleted } }',
};

// ---------------------------------------------------------------- small helpers

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children.filter((child) => child != null));
  return el;
}

function postElements(postId) {
  return $$(`[data-testid="post"][data-post-id="${CSS.escape(postId)}"]`);
}

function ago(iso) {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 7 * 86400) return `${Math.floor(seconds / 86400)}d`;
  return new Date(iso).toLocaleDateString();
}

function avatar(el, user) {
  let hash = 0;
  for (const char of user.username) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  el.textContent = (user.displayName || user.username).slice(0, 1).toUpperCase();
  el.style.background = `hsl(${hash} 55% 55%)`;
  el.href = profileHref(user.username);
}

const profileHref = (username) => `#/u/${encodeURIComponent(username)}`;

let toastTimer = 0;
function toast(message) {
  const el = $('#toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

// ---------------------------------------------------------------- GraphQL over HTTP

let token = sessionStorage.getItem(TOKEN_KEY);
let viewer = null;

class ApiError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  try {
    const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    body = await response.json();
  } catch {
    throw new ApiError('The server could not be reached', 'NETWORK');
  }
  const error = body.errors?.[0];
  if (error) {
    if (error.extensions?.code === 'UNAUTHENTICATED' && viewer) signedOut('Your session has ended');
    throw new ApiError(error.message, error.extensions?.code);
  }
  return body.data;
}

// Mutations report expected failures inside their payload: raise those too.
async function mutate(name, variables) {
  const payload = (await gql(Q[name], variables))[name];
  const error = payload.errors?.[0];
  if (error) throw new ApiError(error.message, error.code);
  return payload;
}

// ---------------------------------------------------------------- live: graphql-transport-ws

class LiveSocket {
  subs = new Map();   // id -> { query, variables(), onData, onError, onComplete }
  seq = 0;
  ws = null;
  acked = false;
  attempt = 0;
  timer = 0;

  start(bearer) {
    this.stop();
    this.bearer = bearer;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.bearer = null;
    clearTimeout(this.timer);
    this.subs.clear();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    setLiveStatus('off');
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/graphql`, 'graphql-transport-ws');
    this.ws = ws;
    this.acked = false;
    setLiveStatus(this.attempt ? 'reconnecting' : 'connecting');
    ws.onopen = () => this.send({ type: 'connection_init', payload: { Authorization: `Bearer ${this.bearer}` } });
    // Aperture sends its JSON in binary frames: decode either kind
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => {
      const text = typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data);
      this.receive(JSON.parse(text));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return; // stopped, or already replaced
      this.ws = null;
      this.acked = false;
      if (event.code === 4403) return signedOut('Your session has ended');
      // Exponential backoff with jitter, capped at 30 s, so a restarting server is not stampeded
      const delay = Math.min(30_000, 1000 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      setLiveStatus('reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  receive(message) {
    const sub = this.subs.get(message.id);
    switch (message.type) {
      case 'connection_ack':
        this.acked = true;
        this.attempt = 0;
        setLiveStatus('live');
        // (Re)subscribe everything: variables() gives the current resume point (after/seen)
        for (const [id, entry] of this.subs) this.sendSubscribe(id, entry);
        break;
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'next':
        if (message.payload.errors?.length) sub?.onError?.(message.payload.errors);
        else sub?.onData(message.payload.data);
        break;
      case 'error':
        this.subs.delete(message.id);
        sub?.onError?.(message.payload);
        break;
      case 'complete':
        this.subs.delete(message.id);
        sub?.onComplete?.();
        break;
    }
  }

  sendSubscribe(id, entry) {
    this.send({ id, type: 'subscribe', payload: { query: entry.query, variables: entry.variables() } });
  }

  subscribe(entry) {
    const id = String(++this.seq);
    this.subs.set(id, entry);
    if (this.acked) this.sendSubscribe(id, entry);
    return id;
  }

  unsubscribe(id) {
    if (this.subs.delete(id) && this.acked) this.send({ id, type: 'complete' });
  }
}

const live = new LiveSocket();

function setLiveStatus(state) {
  const el = $('[data-testid="live-status"]');
  el.dataset.state = state;
  el.textContent = { off: 'Offline', connecting: 'Connecting…', reconnecting: 'Reconnecting…', live: 'Live' }[state];
}

// Live counts for the posts on screen: postUpdates opens when a post scrolls into view, closes when it leaves.
const watched = new Map(); // postId -> subscription id
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (entry.isIntersecting) watchPost(entry.target.dataset.postId);
    else unwatchPost(entry.target.dataset.postId);
  }
});

function watchPost(postId) {
  if (watched.has(postId) || watched.size >= MAX_WATCHED) return;
  const id = live.subscribe({
    query: Q.postUpdates,
    variables: () => ({ id: postId }),
    onData: ({ postUpdates: update }) => (update.deleted ? removePost(update.postId) : applyCounts(update.postId, update)),
    onError: () => watched.delete(postId),
    onComplete: () => watched.delete(postId),
  });
  watched.set(postId, id);
}

function unwatchPost(postId) {
  const id = watched.get(postId);
  watched.delete(postId);
  if (id) live.unsubscribe(id);
}

// ---------------------------------------------------------------- blurhash (https://blurha.sh), decoded here

const B83 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
const decode83 = (text) => [...text].reduce((value, char) => value * 83 + B83.indexOf(char), 0);
const toLinear = (value) => {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (value) => {
  const v = Math.min(1, Math.max(0, value));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
};
const signedSquare = (value) => Math.sign(value) * value * value;

function decodeBlurhash(hash, width, height) {
  const sizeFlag = decode83(hash[0]);
  const nx = (sizeFlag % 9) + 1;
  const ny = Math.floor(sizeFlag / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error('invalid blurhash');
  const maxAc = (decode83(hash[1]) + 1) / 166;
  const dc = decode83(hash.slice(2, 6));
  const colors = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
  for (let i = 1; i < nx * ny; i++) {
    const ac = decode83(hash.slice(4 + i * 2, 6 + i * 2));
    const quantised = [Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19];
    colors.push(quantised.map((q) => signedSquare((q - 9) / 9) * maxAc));
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
          const [cr, cg, cb] = colors[i + j * nx];
          r += cr * basis; g += cg * basis; b += cb * basis;
        }
      }
      const at = 4 * (x + y * width);
      pixels.set([toSrgb(r), toSrgb(g), toSrgb(b), 255], at);
    }
  }
  return pixels;
}

function blurhashCanvas(hash) {
  const canvas = h('canvas', { class: 'blurhash', width: 32, height: 32, 'aria-hidden': 'true' });
  try {
    canvas.getContext('2d').putImageData(new ImageData(decodeBlurhash(hash, 32, 32), 32, 32), 0, 0);
  } catch { /* a bad hash leaves the plain background */ }
  return canvas;
}

// ---------------------------------------------------------------- media: images, carousel, HLS video

function renderSlide(media) {
  const ratio = media.width && media.height ? Math.min(1.91, Math.max(0.8, media.width / media.height)) : 1;
  const slide = h('div', { class: 'slide', 'data-testid': 'media' });
  slide.style.aspectRatio = String(ratio);
  if (media.blurhash) slide.append(blurhashCanvas(media.blurhash));
  if (media.state !== 'READY') {
    const text = media.state === 'FAILED' ? `Failed: ${media.failureReason || 'unknown reason'}` : 'Processing…';
    slide.append(h('p', { class: 'media-state', 'data-testid': 'media-state' }, text));
  } else if (media.type === 'VIDEO') {
    slide.append(renderVideo(media));
  } else {
    // The thumbnail is a centred square crop: `contain` lays it exactly over the middle of the image
    // A variant that fails to load is dropped, leaving the placeholder rather than a broken icon
    const drop = (event) => event.currentTarget.classList.add('failed');
    if (media.thumb) slide.append(h('img', { class: 'thumb', src: media.thumb, alt: '', loading: 'lazy', onerror: drop }));
    const img = h('img', { class: 'full', alt: media.altText, loading: 'lazy', decoding: 'async',
      'data-testid': 'post-image', onerror: drop });
    img.addEventListener('load', () => slide.classList.add('loaded'), { once: true });
    img.src = media.medium;
    slide.append(img);
  }
  return slide;
}

function renderVideo(media) {
  const video = h('video', { class: 'full', controls: true, playsinline: true, preload: 'none',
    poster: media.posterUrl || media.medium, 'aria-label': media.altText || 'Video', 'data-testid': 'post-video' });
  if (media.hlsUrl) attachHls(video, media.hlsUrl);
  return video;
}

let hlsScript = null;
function loadHls() {
  hlsScript ??= new Promise((resolve, reject) => {
    document.head.append(h('script', { src: '/app/vendor/hls.min.js', onload: () => resolve(window.Hls), onerror: reject }));
  });
  return hlsScript;
}

async function attachHls(video, url) {
  if (window.MediaSource || window.ManagedMediaSource) {
    try {
      const Hls = await loadHls();
      if (Hls.isSupported()) {
        // Only the playlist until the user presses play; segments load on demand after that
        const hls = new Hls({ autoStartLoad: false });
        hls.loadSource(url);
        hls.attachMedia(video);
        video.addEventListener('play', () => hls.startLoad(), { once: true });
        video.hls = hls;
        return;
      }
    } catch { /* fall through to native playback */ }
  }
  if (video.canPlayType('application/vnd.apple.mpegurl')) video.src = url; // Safari plays HLS natively
}

function renderCarousel(box, items) {
  const slides = $('.slides', box);
  slides.append(...items.map(renderSlide));
  const [prev, next, position] = [$('.prev', box), $('.next', box), $('.position', box)];
  if (items.length < 2) {
    prev.remove(); next.remove(); position.remove();
    return;
  }
  let index = 0;
  const show = (to) => {
    index = Math.max(0, Math.min(items.length - 1, to));
    [...slides.children].forEach((slide, i) => {
      slide.hidden = i !== index;
      if (i !== index) $('video', slide)?.pause();
    });
    position.textContent = `${index + 1} / ${items.length}`;
    prev.disabled = index === 0;
    next.disabled = index === items.length - 1;
  };
  prev.addEventListener('click', () => show(index - 1));
  next.addEventListener('click', () => show(index + 1));
  show(0);
}

// ---------------------------------------------------------------- posts

function renderPost(post) {
  const el = $('#post-template').content.firstElementChild.cloneNode(true);
  el.dataset.postId = post.id;
  el.dataset.authorId = post.author.id;
  el.dataset.state = post.state;
  el.dataset.createdAt = post.createdAt;
  avatar($('.avatar', el), post.author);
  const author = $('.author', el);
  author.href = profileHref(post.author.username);
  author.textContent = post.author.username;
  author.title = post.author.displayName;
  const time = $('time', el);
  time.dateTime = post.createdAt;
  time.textContent = ago(post.createdAt);
  time.title = new Date(post.createdAt).toLocaleString();

  if (post.media.length) renderCarousel($('.carousel', el), post.media);
  else $('.carousel', el).remove();
  const caption = $('.caption', el);
  caption.textContent = post.caption;
  caption.hidden = !post.caption;
  const comments = $('.comments', el);
  comments.append(...post.comments.edges.map(({ node }) => renderComment(node)));
  if (post.state !== 'VISIBLE') $('.state', el).textContent = post.state === 'FAILED' ? 'Failed' : 'Processing…';
  applyCountsTo(el, post);

  $('.like', el).addEventListener('click', (event) => toggleLike(post.id, event.currentTarget));
  $('.comment-form', el).addEventListener('submit', (event) => addComment(event, post.id, comments));
  const remove = $('.delete', el);
  remove.hidden = post.author.id !== viewer?.id;
  remove.addEventListener('click', () => deletePost(post.id));
  if (post.state === 'VISIBLE') onScreen.observe(el);
  return el;
}

function renderComment(comment) {
  return h('li', { 'data-testid': 'comment' },
    h('a', { href: profileHref(comment.author?.username ?? '') }, comment.author?.username ?? 'deleted'), ' ', comment.text);
}

function applyCountsTo(el, counts) {
  if (counts.likeCount != null) $('[data-testid="like-count"]', el).textContent = counts.likeCount;
  if (counts.commentCount != null) $('[data-testid="comment-count"]', el).textContent = counts.commentCount;
  if (counts.viewerHasLiked != null) {
    const like = $('.like', el);
    like.setAttribute('aria-pressed', String(counts.viewerHasLiked));
    like.textContent = counts.viewerHasLiked ? '♥' : '♡';
    like.title = counts.viewerHasLiked ? 'Unlike' : 'Like';
  }
}

function applyCounts(postId, counts) {
  for (const el of postElements(postId)) applyCountsTo(el, counts);
}

function removePost(postId) {
  unwatchPost(postId);
  for (const el of postElements(postId)) {
    onScreen.unobserve(el);
    for (const video of $$('video', el)) video.hls?.destroy();
    el.remove();
  }
  view?.forget?.(postId);
}

async function toggleLike(postId, button) {
  const name = button.getAttribute('aria-pressed') === 'true' ? 'unlikePost' : 'likePost';
  button.disabled = true;
  try {
    const { post } = await mutate(name, { id: postId });
    applyCounts(post.id, post);
  } catch (error) {
    toast(error.message);
  } finally {
    button.disabled = false;
  }
}

async function addComment(event, postId, list) {
  event.preventDefault();
  const form = event.currentTarget;
  const text = form.elements.text.value.trim();
  if (!text) return;
  const button = $('button', form);
  button.disabled = true;
  try {
    const { comment } = await mutate('addComment', { id: postId, text });
    list.append(renderComment(comment));
    form.reset();
    const count = $('[data-testid="comment-count"]', form.closest('[data-testid="post"]'));
    applyCounts(postId, { commentCount: Number(count.textContent) + 1 }); // postUpdates corrects it if needed
  } catch (error) {
    toast(error.message);
  } finally {
    button.disabled = false;
  }
}

async function deletePost(postId) {
  if (!confirm('Delete this post?')) return;
  try {
    await mutate('deletePost', { id: postId });
    removePost(postId);
  } catch (error) {
    toast(error.message);
  }
}

// ---------------------------------------------------------------- feeds: cursor paging with infinite scroll

function createFeed(fetchPage, emptyText) {
  const list = h('div', { class: 'feed', 'data-testid': 'feed' });
  const sentinel = h('p', { class: 'sentinel', 'data-testid': 'feed-end' });
  const state = { after: null, hasNext: true, loading: false, newestCursor: null, dead: false };
  const scroller = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  }, { rootMargin: '800px' });

  async function loadMore() {
    if (state.loading || !state.hasNext || state.dead) return;
    state.loading = true;
    sentinel.textContent = 'Loading…';
    try {
      const page = await fetchPage(state.after);
      if (state.dead) return;
      for (const { node } of page.edges) if (!has(node.id)) list.append(renderPost(node));
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

  const has = (postId) => Boolean($(`[data-post-id="${CSS.escape(postId)}"]`, list));
  const ready = loadMore();
  scroller.observe(sentinel);
  return {
    nodes: [list, sentinel], state, ready, has,
    ids: () => $$('[data-testid="post"]', list).map((el) => el.dataset.postId),
    oldestAt: () => Date.parse(list.lastElementChild?.dataset.createdAt ?? '') || 0,
    prepend(post) {
      if (has(post.id)) return;
      list.prepend(renderPost(post));
      if (!state.hasNext) sentinel.textContent = 'You’re all caught up';
    },
    dispose() { state.dead = true; scroller.disconnect(); },
  };
}

// ---------------------------------------------------------------- views

let view = null;

function mount(next) {
  if (view) {
    view.dispose?.();
    for (const el of $$('[data-testid="post"]', view.root)) onScreen.unobserve(el);
    for (const video of $$('video', view.root)) video.hls?.destroy();
    for (const postId of [...watched.keys()]) unwatchPost(postId);
  }
  view = next;
  $('#view').replaceChildren(...(next ? [next.root] : []));
}

function route() {
  if (!viewer) return;
  const match = location.hash.match(/^#\/u\/([^/]+)$/);
  mount(match ? profileView(decodeURIComponent(match[1])) : homeView());
  window.scrollTo(0, 0);
}

function homeView() {
  const pill = h('button', { type: 'button', class: 'pill', 'data-testid': 'new-posts-pill', hidden: true });
  const feed = createFeed(
    async (after) => (await gql(Q.home, { first: PAGE_SIZE, after })).viewer.homeTimeline,
    'Your feed is empty. Follow people to see their posts here.',
  );
  const root = h('section', { class: 'home' }, pill, ...feed.nodes);
  let pending = []; // POST_ADDED posts not shown yet, newest first
  let subscription = null;
  let dead = false;

  const updatePill = () => {
    pill.hidden = pending.length === 0;
    pill.textContent = `↑ ${pending.length} new post${pending.length === 1 ? '' : 's'}`;
  };
  const resync = (delay = 0) => {
    // RESYNC (or a failed subscription): reload the timeline from the top, then subscribe afresh
    if (!dead) setTimeout(() => !dead && view?.root === root && route(), delay);
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
      removePost(event.postId);
    } else if (event.type === 'AUTHOR_REMOVED') {
      // The viewer unfollowed someone: their posts leave the feed at once
      pending = pending.filter((post) => post.author.id !== event.authorId);
      for (const el of $$(`[data-testid="post"][data-author-id="${CSS.escape(event.authorId)}"]`, root)) {
        removePost(el.dataset.postId);
      }
    } else if (event.type === 'RESYNC') {
      return resync();
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
      // Events are applied once the first page is in, in the order they came
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
    feed,
    forget: (postId) => { pending = pending.filter((post) => post.id !== postId); updatePill(); },
    dispose: () => { dead = true; if (subscription) live.unsubscribe(subscription); feed.dispose(); },
  };
}

function profileView(username) {
  const head = h('div', { class: 'card profile-head', 'data-testid': 'profile' }, 'Loading…');
  const root = h('section', { class: 'profile' }, head);
  const result = { root, feed: null, dispose: () => result.feed?.dispose() };
  gql(Q.user, { username }).then((data) => {
    if (view !== result) return;
    if (!data.user) {
      head.textContent = `No one is called @${username}.`;
      return;
    }
    renderProfileHead(head, data.user);
    result.feed = createFeed(
      async (after) => (await gql(Q.userPosts, { username, first: PAGE_SIZE, after })).user.posts,
      'No posts yet.',
    );
    root.append(...result.feed.nodes);
  }, (error) => { head.textContent = error.message; });
  return result;
}

function renderProfileHead(head, user) {
  const follow = h('button', { type: 'button', class: 'primary', 'data-testid': 'follow-button' });
  const followers = h('b', { 'data-testid': 'follower-count' });
  const paint = () => {
    follow.textContent = user.viewerFollows ? 'Unfollow' : 'Follow';
    follow.setAttribute('aria-pressed', String(user.viewerFollows));
    follow.classList.toggle('primary', !user.viewerFollows);
    followers.textContent = user.followerCount;
  };
  follow.addEventListener('click', async () => {
    follow.disabled = true;
    try {
      const payload = await mutate(user.viewerFollows ? 'unfollow' : 'follow', { id: user.id });
      Object.assign(user, payload.user);
      paint();
    } catch (error) {
      toast(error.message);
    } finally {
      follow.disabled = false;
    }
  });
  paint();
  const pic = h('a', { class: 'avatar large', 'aria-hidden': 'true' });
  avatar(pic, user);
  head.replaceChildren(
    pic,
    h('div', { class: 'who' },
      h('h1', {}, user.displayName || user.username),
      h('p', { class: 'muted', 'data-testid': 'profile-username' }, `@${user.username}`,
        user.followsViewer ? h('span', { class: 'badge' }, 'Follows you') : null),
      user.bio ? h('p', {}, user.bio) : null,
      h('p', { class: 'stats' },
        h('span', {}, h('b', {}, user.postCount), ' posts'),
        h('span', {}, followers, ' followers'),
        h('span', {}, h('b', {}, user.followingCount), ' following'))),
    user.id === viewer.id ? null : follow,
  );
}

// ---------------------------------------------------------------- composer: upload, publish, wait for processing

const composer = { busy: false };

function contentTypeOf(file) {
  return file.type || BY_EXTENSION[file.name.split('.').pop().toLowerCase()] || '';
}

function openComposer() {
  const dialog = $('#composer');
  if (!composer.busy) {
    $('#composer-form').reset();
    $('[data-testid="composer-uploads"]').replaceChildren();
    setComposerStatus('');
  }
  dialog.showModal();
}

function setComposerStatus(text, state = '') {
  const el = $('[data-testid="composer-status"]');
  el.textContent = text;
  el.dataset.state = state;
}

function listFiles() {
  const files = [...$('[data-testid="composer-files"]').files];
  $('[data-testid="composer-uploads"]').replaceChildren(...files.map((file) => {
    const ok = ACCEPTED.includes(contentTypeOf(file));
    return h('li', { 'data-testid': 'upload-item' },
      h('span', { class: 'name' }, `${file.name} (${Math.ceil(file.size / 1024)} KB)`),
      ok ? h('input', { name: 'alt', placeholder: 'Alt text (describe it for people who can’t see it)',
        maxlength: 1000, 'data-testid': 'composer-alt' }) : h('span', { class: 'error' }, 'Unsupported type'),
      h('progress', { max: 1, value: 0, 'data-testid': 'upload-progress' }));
  }));
  setComposerStatus(files.length > 10 ? 'At most 10 photos or videos per post' : '');
}

// XMLHttpRequest rather than fetch: it reports upload progress
function sendFile(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `Upload failed (${xhr.status})`;
      try { message = JSON.parse(xhr.responseText).error.message; } catch { /* not our JSON */ }
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('Upload failed: network error'));
    if (target.method === 'PUT') {
      for (const { name, value } of target.headers) xhr.setRequestHeader(name, value);
      xhr.send(file);
    } else {
      const form = new FormData();
      for (const { name, value } of target.fields) form.append(name, value);
      form.append('file', file); // last: storage services ignore fields after the file
      xhr.send(form);
    }
  });
}

async function submitPost(event) {
  event.preventDefault();
  if (composer.busy) return;
  const form = event.currentTarget;
  const files = [...form.elements.files.files];
  const caption = form.elements.caption.value.trim();
  if (!files.length && !caption) return setComposerStatus('Add a photo or a caption', 'error');
  if (files.some((file) => !ACCEPTED.includes(contentTypeOf(file)))) return setComposerStatus('Remove the unsupported files', 'error');
  composer.busy = true;
  $('[data-testid="composer-submit"]').disabled = true;
  try {
    const bars = $$('[data-testid="upload-progress"]');
    const alts = $$('[data-testid="upload-item"]').map((item) => $('[name="alt"]', item)?.value ?? '');
    const media = [];
    for (const [i, file] of files.entries()) {
      setComposerStatus(`Uploading ${i + 1} of ${files.length}…`, 'uploading');
      const { upload } = await mutate('requestUpload', { type: contentTypeOf(file), size: file.size });
      await sendFile(upload.target, file, (fraction) => { bars[i].value = fraction; });
      bars[i].value = 1;
      media.push({ uploadId: upload.id, altText: alts[i] });
    }
    setComposerStatus('Publishing…', 'publishing');
    let { post } = await mutate('createPost', { caption, media: media.length ? media : null });
    for (let polls = 0; post.state === 'PROCESSING'; polls++) {
      const ready = post.media.filter((item) => item.state === 'READY').length;
      setComposerStatus(`Processing… (${ready} of ${post.media.length} ready)`, 'processing');
      if (polls > 900) throw new Error('Still processing: it will appear in your feed when it is ready');
      await sleep(1000);
      post = (await gql(Q.post, { id: post.id })).post;
    }
    if (post.state === 'FAILED') {
      const reasons = post.media.filter((item) => item.state === 'FAILED').map((item) => item.failureReason);
      throw new Error(`Processing failed: ${reasons.join('; ') || 'unknown reason'}`);
    }
    setComposerStatus('Posted', 'done');
    // Our own post goes straight to the top of the feed (its POST_ADDED is then a duplicate and skipped)
    view?.forget?.(post.id);
    if (view?.feed && (view.root.classList.contains('home') || location.hash === profileHref(viewer.username))) {
      view.feed.prepend(post);
    }
    setTimeout(() => { if (!composer.busy) $('#composer').close(); }, 800);
  } catch (error) {
    setComposerStatus(error.message, 'error');
  } finally {
    composer.busy = false;
    $('[data-testid="composer-submit"]').disabled = false;
  }
}

// ---------------------------------------------------------------- signing in and out

function showAuth() {
  live.stop();
  mount(null);
  $('#topbar').hidden = true;
  const section = $('#auth-template').content.firstElementChild.cloneNode(true);
  const form = $('form', section);
  const setMode = (mode) => {
    form.dataset.mode = mode;
    for (const tab of $$('[role="tab"]', section)) tab.setAttribute('aria-selected', String(tab.dataset.mode === mode));
    $('.signup-only', form).hidden = mode !== 'signUp';
    $('[data-testid="auth-submit"]', form).textContent = mode === 'signUp' ? 'Create account' : 'Sign in';
    form.elements.password.autocomplete = mode === 'signUp' ? 'new-password' : 'current-password';
    $('[data-testid="auth-error"]', form).textContent = '';
  };
  for (const tab of $$('[role="tab"]', section)) tab.addEventListener('click', () => setMode(tab.dataset.mode));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const mode = form.dataset.mode;
    const { username, password, displayName } = form.elements;
    const variables = { username: username.value.trim().toLowerCase(), password: password.value };
    if (mode === 'signUp') variables.displayName = displayName.value.trim() || null;
    form.querySelector('button[type="submit"]').disabled = true;
    try {
      const payload = await mutate(mode, variables);
      token = payload.token;
      sessionStorage.setItem(TOKEN_KEY, token);
      startSession(payload.user);
    } catch (error) {
      $('[data-testid="auth-error"]', form).textContent = error.message;
    } finally {
      form.querySelector('button[type="submit"]').disabled = false;
    }
  });
  setMode('signIn');
  $('#view').replaceChildren(section);
}

function startSession(user) {
  viewer = user;
  $('#topbar').hidden = false;
  const me = $('#my-profile');
  me.textContent = `@${user.username}`;
  me.href = profileHref(user.username);
  live.start(token);
  route();
}

function signedOut(message) {
  token = null;
  viewer = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if ($('#composer').open) $('#composer').close();
  showAuth();
  if (message) toast(message);
}

async function signOut() {
  try {
    await mutate('signOut', {});
  } catch { /* the token is dropped either way */ }
  signedOut();
}

async function boot() {
  window.addEventListener('hashchange', route);
  $('#sign-out').addEventListener('click', signOut);
  $('#new-post').addEventListener('click', openComposer);
  $('.brand').addEventListener('click', () => { if (location.hash === '#/') route(); }); // same hash: refresh
  $('[data-testid="composer-files"]').addEventListener('change', listFiles);
  $('#composer-form').addEventListener('submit', submitPost);
  $('[data-testid="composer-close"]').addEventListener('click', () => $('#composer').close());
  if (token) {
    try {
      const { viewer: user } = await gql(Q.viewer);
      if (user) return startSession(user);
    } catch (error) {
      toast(error.message);
    }
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }
  showAuth();
}

boot();
