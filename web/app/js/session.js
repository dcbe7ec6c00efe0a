// The signed-in session: its token lives in localStorage, so a new tab or a reload stays signed in,
// and a sign-out in one tab (the storage event) signs out every tab of this browser.

const TOKEN_KEY = 'aperture.token';

export const session = {
  token: localStorage.getItem(TOKEN_KEY),
  viewer: null,
};

export function saveToken(token) {
  session.token = token;
  localStorage.setItem(TOKEN_KEY, token);
}

export function dropToken() {
  session.token = null;
  session.viewer = null;
  localStorage.removeItem(TOKEN_KEY);
}

/** Calls back with the new token (or null) when another tab signs in or out. */
export function onOtherTab(callback) {
  window.addEventListener('storage', (event) => {
    if (event.key === TOKEN_KEY || event.key === null) callback(localStorage.getItem(TOKEN_KEY));
  });
}
