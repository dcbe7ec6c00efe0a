// Safety controls: the "More" (…) menu, and the dialog that reports a post or a person.

import { mutate } from './api.js';
import { $$, h } from './dom.js';

const REASONS = [
  ['SPAM', 'Spam'],
  ['HARASSMENT', 'Harassment or bullying'],
  ['HATE', 'Hate speech or symbols'],
  ['VIOLENCE', 'Violence or threats'],
  ['NUDITY', 'Nudity or sexual content'],
  ['SELF_HARM', 'Suicide or self-harm'],
  ['IMPERSONATION', 'Pretending to be someone else'],
  ['INTELLECTUAL_PROPERTY', 'Someone else’s work, used without permission'],
  ['OTHER', 'Something else'],
];

let menus = 0;

/**
 * A menu button (WAI-ARIA menu pattern): Enter, Space or ↓ opens it on the first item, ↑ and ↓
 * move, Escape closes it and returns to the button, Tab or a click elsewhere closes it.
 * `items()` is called on each opening: [label, action, testid] rows (null rows are skipped).
 */
export function moreMenu(label, items) {
  menus += 1;
  const id = `menu-${menus}`;
  const button = h('button', { type: 'button', class: 'more-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-controls': id, 'aria-label': label, 'data-testid': 'more-button' }, h('span', { 'aria-hidden': 'true' }, '…'));
  const menu = h('ul', { class: 'menu card', role: 'menu', id, 'aria-label': label, 'data-testid': 'more-menu', hidden: true });
  const wrap = h('div', { class: 'menu-wrap' }, button, menu);
  const entries = () => $$('[role="menuitem"]', menu);
  const onOutside = (event) => { if (!wrap.contains(event.target)) close(false); };

  function close(refocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (refocus) button.focus();
  }

  function open(at = 0) {
    menu.replaceChildren(...items().filter(Boolean).map(([text, action, testid]) => h('li', { role: 'none' },
      h('button', { type: 'button', role: 'menuitem', tabindex: '-1', 'data-testid': testid,
        onclick: () => { close(); action(button); } }, text))));
    // Open towards the wider side, so that it stays on screen on a phone
    const { left, right } = button.getBoundingClientRect();
    menu.classList.toggle('from-left', left + right < window.innerWidth);
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onOutside, true);
    const all = entries();
    all.at(at)?.focus();
  }

  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open(event.key === 'ArrowDown' ? 0 : -1);
    }
  });
  menu.addEventListener('keydown', (event) => {
    const all = entries();
    const index = all.indexOf(document.activeElement);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: all.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      all[(moves[event.key] + all.length) % all.length].focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      close(false);
    }
  });
  return wrap;
}

let dialogs = 0;

/** Opens the report dialog for a post (`kind` 'post') or a person ('user'); focus returns to `opener`. */
export function openReport(kind, id, subject, opener) {
  dialogs += 1;
  const titleId = `report-title-${dialogs}`;
  const title = kind === 'post' ? 'Report post' : `Report @${subject}`;
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'report-status' });
  const form = h('form', { class: 'report-form' },
    h('p', { class: 'muted' }, kind === 'post'
      ? `Tell the moderators what is wrong with this post by @${subject}. They won’t tell @${subject} who reported it.`
      : `Tell the moderators what is wrong with @${subject}’s account. They won’t tell @${subject} who reported it.`),
    h('label', {}, 'Reason', h('select', { name: 'reason', required: true, 'data-testid': 'report-reason' },
      h('option', { value: '' }, 'Choose a reason'),
      ...REASONS.map(([value, text]) => h('option', { value }, text)))),
    h('label', {}, 'More details (optional)', h('textarea', { name: 'text', rows: 3, maxlength: 1000,
      'data-testid': 'report-text' })),
    status,
    h('div', { class: 'row' },
      h('button', { type: 'button', 'data-testid': 'report-cancel', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'report-submit' }, 'Send report')));
  const body = h('div', {}, form);
  const dialog = h('dialog', { class: 'report-dialog', 'aria-labelledby': titleId, 'data-testid': 'report-dialog' },
    h('h2', { id: titleId }, title), body);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const send = $$('button', form).at(-1);
    send.disabled = true;
    status.textContent = 'Sending…';
    try {
      const name = kind === 'post' ? 'reportPost' : 'reportUser';
      const { reported } = await mutate(name, { id, reason: form.elements.reason.value, text: form.elements.text.value.trim() });
      const done = h('button', { type: 'button', class: 'primary', 'data-testid': 'report-done', onclick: () => dialog.close() }, 'Done');
      body.replaceChildren(
        h('p', { role: 'status', 'data-testid': 'report-confirmation' }, reported
          ? 'Thanks for telling us. Your report was sent to the moderators.'
          : 'You have already reported this. The moderators have your report.'),
        h('div', { class: 'row' }, done));
      done.focus();
    } catch (error) {
      status.setAttribute('role', 'alert');
      status.textContent = error.message;
      send.disabled = false;
    }
  });
  // Leaving the page (a link, Back) closes it: the page it reported from is gone
  const onRoute = () => dialog.close();
  window.addEventListener('hashchange', onRoute);
  dialog.addEventListener('close', () => {
    window.removeEventListener('hashchange', onRoute);
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  form.elements.reason.focus();
  return dialog;
}
