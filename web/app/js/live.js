// Live updates: one WebSocket speaking graphql-transport-ws, resubscribing after reconnects.

import { $ } from './dom.js';
import { Q } from './queries.js';

const MAX_WATCHED = 30; // postUpdates subscriptions open at once
const LABELS = { off: 'Offline', connecting: 'Connecting…', reconnecting: 'Reconnecting…', live: 'Live' };

export function setLiveStatus(state) {
  const el = $('[data-testid="live-status"]');
  el.dataset.state = state;
  el.title = LABELS[state];
  $('.label', el).textContent = LABELS[state];
}

class LiveSocket {
  subs = new Map(); // id -> { query, variables(), onData, onError, onComplete }
  seq = 0;
  ws = null;
  acked = false;
  attempt = 0;
  timer = 0;
  onEnded = () => {};

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
    watched.clear();
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
    ws.binaryType = 'arraybuffer'; // Aperture sends its JSON in binary frames: decode either kind
    ws.onmessage = (event) => {
      const text = typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data);
      this.receive(JSON.parse(text));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return; // stopped, or already replaced
      this.ws = null;
      this.acked = false;
      if (event.code === 4403) return this.onEnded();
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
      default:
        break;
    }
  }

  sendSubscribe(id, entry) {
    this.send({ id, type: 'subscribe', payload: { query: entry.query, variables: entry.variables?.() ?? {} } });
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

export const live = new LiveSocket();

// Live counts of posts on screen: a postUpdates subscription per post, shared by all its cards
const watched = new Map(); // postId -> { id, holders }
const handlers = { update: () => {}, deleted: () => {} };
export const onPostUpdate = (update, deleted) => Object.assign(handlers, { update, deleted });

export function watchPost(postId) {
  const entry = watched.get(postId);
  if (entry) { entry.holders += 1; return; }
  if (watched.size >= MAX_WATCHED) return;
  const id = live.subscribe({
    query: Q.postUpdates,
    variables: () => ({ id: postId }),
    onData: ({ postUpdates: update }) => (update.deleted ? handlers.deleted(update.postId) : handlers.update(update)),
    onError: () => watched.delete(postId),
    onComplete: () => watched.delete(postId),
  });
  watched.set(postId, { id, holders: 1 });
}

export function unwatchPost(postId, all = false) {
  const entry = watched.get(postId);
  if (!entry) return;
  entry.holders -= 1;
  if (entry.holders > 0 && !all) return;
  watched.delete(postId);
  live.unsubscribe(entry.id);
}

// Cards watch while on screen
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const { postId } = entry.target.dataset;
    if (entry.isIntersecting && !entry.target.watching) { entry.target.watching = true; watchPost(postId); }
    else if (!entry.isIntersecting && entry.target.watching) { entry.target.watching = false; unwatchPost(postId); }
  }
});

export function observeCard(el) { onScreen.observe(el); }
export function forgetCard(el) {
  onScreen.unobserve(el);
  if (el.watching) { el.watching = false; unwatchPost(el.dataset.postId); }
}
