// Photos, videos (HLS) and carousels. A carousel keeps one frame size for all its slides:
// the first item's shape, as people expect, so the card never changes height.

import { blurhashCanvas } from './blurhash.js';
import { $, h } from './dom.js';

export const frameRatio = (media) => (media?.width && media?.height
  ? Math.min(1.91, Math.max(0.8, media.width / media.height)) : 1);

function renderSlide(media, index, count) {
  const slide = h('div', { class: 'slide', 'data-testid': 'media', role: count > 1 ? 'group' : null,
    'aria-roledescription': count > 1 ? 'slide' : null, 'aria-label': count > 1 ? `${index + 1} of ${count}` : null });
  if (media.blurhash) slide.append(blurhashCanvas(media.blurhash));
  if (media.state !== 'READY') {
    const text = media.state === 'FAILED' ? `Failed: ${media.failureReason || 'unknown reason'}` : 'Processing…';
    slide.append(h('p', { class: 'media-state', 'data-testid': 'media-state' }, text));
  } else if (media.type === 'VIDEO') {
    slide.append(renderVideo(media));
  } else {
    // A variant that fails to load is dropped, leaving the placeholder rather than a broken icon
    const drop = (event) => event.currentTarget.classList.add('failed');
    const img = h('img', { class: 'full', alt: media.altText || 'Photo', loading: 'lazy', decoding: 'async',
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

export function renderCarousel(items) {
  const slides = h('div', { class: 'slides' }, items.map((item, i) => renderSlide(item, i, items.length)));
  const box = h('div', { class: 'carousel', role: items.length > 1 ? 'region' : null,
    'aria-roledescription': items.length > 1 ? 'carousel' : null,
    'aria-label': items.length > 1 ? `${items.length} photos and videos` : null }, slides);
  box.style.aspectRatio = String(frameRatio(items[0]));
  if (items.length < 2) return box;
  const prev = h('button', { type: 'button', class: 'prev', 'data-testid': 'carousel-prev', 'aria-label': 'Previous' }, '‹');
  const next = h('button', { type: 'button', class: 'next', 'data-testid': 'carousel-next', 'aria-label': 'Next' }, '›');
  const position = h('span', { class: 'position', 'data-testid': 'carousel-position', 'aria-live': 'polite' });
  box.append(prev, next, position);
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
  box.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowLeft') show(index - 1);
    else if (event.key === 'ArrowRight') show(index + 1);
  });
  show(0);
  return box;
}

/** A square grid tile's picture: the thumbnail, or its blurhash while it is not ready. */
export function tilePicture(post) {
  const first = post.media[0];
  if (!first) return h('p', { class: 'tile-text' }, post.caption.slice(0, 80));
  if (first.state === 'READY' && first.thumb) {
    return h('img', { src: first.thumb, alt: first.altText || post.caption.slice(0, 80) || 'Photo', loading: 'lazy' });
  }
  return first.blurhash ? blurhashCanvas(first.blurhash) : h('span');
}
