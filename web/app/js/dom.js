// Small DOM and wording helpers shared by every module.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** An element with attributes (on* become listeners) and children (null and false are skipped). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children.flat().filter((child) => child != null && child !== false));
  return el;
}

/** "1 like", "2 likes", "1,204 followers". */
export function plural(count, one, many = `${one}s`) {
  return `${Number(count).toLocaleString('en')} ${count === 1 ? one : many}`;
}

/** A count and its noun, with the number in bold and kept in its own element for live updates. */
export function countLabel(count, one, many, testid) {
  const number = h('b', { 'data-testid': testid });
  const noun = h('span');
  const el = h('span', { class: 'count' }, number, ' ', noun);
  el.set = (value) => {
    number.textContent = Number(value).toLocaleString('en');
    noun.textContent = value === 1 ? one : many;
    el.dataset.count = value;
  };
  el.set(count);
  return el;
}

/** 31457280 -> "30 MB" (binary units, as the limits are set). */
export function humanSize(bytes) {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${units[unit]}`;
}

export function ago(iso) {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 7 * 86400) return `${Math.floor(seconds / 86400)}d`;
  const date = new Date(iso);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleDateString('en', { month: 'short', day: 'numeric', year: sameYear ? undefined : 'numeric' });
}

/** The first `length` characters of `text`, with an ellipsis when it was longer. */
export const clip = (text, length) => (text.length > length ? `${text.slice(0, length - 1).trimEnd()}…` : text);

export const profileHref = (username) => `#/u/${encodeURIComponent(username)}`;
export const postHref = (postId) => `#/p/${encodeURIComponent(postId)}`;
export const tagHref = (name) => `#/tag/${encodeURIComponent(name)}`;

/** A coloured circle with the user's initial (a link to their profile, hidden from screen readers). */
export function avatar(user, size = '') {
  let hash = 0;
  for (const char of user.username) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  const el = h('a', { class: `avatar ${size}`, href: profileHref(user.username), 'aria-hidden': 'true', tabindex: '-1' });
  el.style.background = `hsl(${hash} 45% 42%)`;
  if (user.avatar?.state === 'READY' && user.avatar.thumb) el.append(h('img', { src: user.avatar.thumb, alt: '', loading: 'lazy' }));
  else el.textContent = (user.displayName || user.username).slice(0, 1).toUpperCase();
  return el;
}

let toastTimer = 0;
export function toast(message) {
  const el = $('#toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

const TOKEN = /(#[\p{L}\p{N}_]+|@[a-z0-9_.]+)/giu;

/** Caption or comment text with #hashtags and @mentions as links. */
export function linkify(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [token] = match;
    const before = text[match.index - 1];
    if (before && /[\p{L}\p{N}_]/u.test(before)) continue; // an e-mail address, not a mention
    nodes.push(text.slice(last, match.index));
    const name = token.slice(1).replace(/\.+$/, '');
    const href = token[0] === '#' ? tagHref(name.toLowerCase()) : profileHref(name.toLowerCase());
    nodes.push(h('a', { class: 'inline-link', href }, token[0] + name));
    last = match.index + 1 + name.length;
  }
  nodes.push(text.slice(last));
  return nodes.filter(Boolean);
}
