// The composer: pick photos and videos, upload each straight to its presigned target, publish,
// then wait for processing.

import { gql, mutate } from './api.js';
import { $, $$, h, humanSize, sleep } from './dom.js';
import { Q } from './queries.js';
import { contentTypeOf, uploadFile } from './upload.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/gif', 'video/mp4', 'video/quicktime'];
const MAX_ITEMS = 10;

const composer = { busy: false, onPosted: () => {} };


export function openComposer() {
  if (!composer.busy) {
    $('#composer-form').reset();
    $('[data-testid="composer-uploads"]').replaceChildren();
    setStatus('');
  }
  $('#composer').showModal();
}

/** state '' (plain), 'error' (styled and announced), 'done', or a step name. */
function setStatus(text, state = '') {
  const el = $('[data-testid="composer-status"]');
  el.textContent = text;
  el.dataset.state = state;
  el.setAttribute('role', state === 'error' ? 'alert' : 'status');
}

function listFiles() {
  const files = [...$('[data-testid="composer-files"]').files];
  $('[data-testid="composer-uploads"]').replaceChildren(...files.map((file, i) => {
    const ok = ACCEPTED.includes(contentTypeOf(file));
    const altId = `composer-alt-${i}`;
    return h('li', { 'data-testid': 'upload-item' },
      h('span', { class: 'name' }, `${file.name} (${humanSize(file.size)})`),
      ok ? h('label', { for: altId }, 'Alt text', h('input', { id: altId, name: 'alt', maxlength: 1000, 'data-testid': 'composer-alt',
        placeholder: 'Describe it for people who can’t see it' }))
        : h('span', { class: 'error', 'data-testid': 'upload-error' }, 'Not a supported format: use JPEG, PNG, WebP, HEIC, GIF, MP4 or MOV'),
      h('progress', { max: 1, value: 0, 'data-testid': 'upload-progress', 'aria-label': `Upload of ${file.name}` }));
  }));
  if (files.length > MAX_ITEMS) setStatus(`At most ${MAX_ITEMS} photos or videos per post`, 'error');
  else if (files.some((file) => !ACCEPTED.includes(contentTypeOf(file)))) setStatus('The file is not a supported format', 'error');
  else setStatus('');
}

async function submitPost(event) {
  event.preventDefault();
  if (composer.busy) return;
  const form = event.currentTarget;
  const files = [...form.elements.files.files];
  const caption = form.elements.caption.value.trim();
  if (!files.length && !caption) return setStatus('Add a photo or a caption', 'error');
  if (files.length > MAX_ITEMS) return setStatus(`At most ${MAX_ITEMS} photos or videos per post`, 'error');
  if (files.some((file) => !ACCEPTED.includes(contentTypeOf(file)))) return setStatus('Remove the files that are not a supported format', 'error');
  composer.busy = true;
  $('[data-testid="composer-submit"]').disabled = true;
  try {
    const bars = $$('[data-testid="upload-progress"]');
    const alts = $$('[data-testid="upload-item"]').map((item) => $('[name="alt"]', item)?.value ?? '');
    const media = [];
    for (const [i, file] of files.entries()) {
      setStatus(`Uploading ${i + 1} of ${files.length}…`, 'uploading');
      media.push({ uploadId: await uploadFile(file, (fraction) => { bars[i].value = fraction; }), altText: alts[i] });
    }
    setStatus('Publishing…', 'publishing');
    let { post } = await mutate('createPost', { caption, media: media.length ? media : null });
    for (let polls = 0; post.state === 'PROCESSING'; polls++) {
      const ready = post.media.filter((item) => item.state === 'READY').length;
      setStatus(`Processing… (${ready} of ${post.media.length} ready)`, 'processing');
      if (polls > 900) throw new Error('Still processing: it will appear in your feed when it is ready');
      await sleep(1000);
      post = (await gql(Q.post, { id: post.id })).post;
    }
    if (post.state === 'FAILED') {
      const reasons = post.media.filter((item) => item.state === 'FAILED').map((item) => item.failureReason);
      throw new Error(`Processing failed: ${reasons.join('; ') || 'unknown reason'}`);
    }
    setStatus('Posted', 'done');
    composer.onPosted(post);
    setTimeout(() => { if (!composer.busy) $('#composer').close(); }, 800);
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    composer.busy = false;
    $('[data-testid="composer-submit"]').disabled = false;
  }
  return undefined;
}

export function setupComposer(onPosted) {
  composer.onPosted = onPosted;
  $('[data-testid="composer-files"]').addEventListener('change', listFiles);
  $('#composer-form').addEventListener('submit', submitPost);
  $('[data-testid="composer-close"]').addEventListener('click', () => $('#composer').close());
}
