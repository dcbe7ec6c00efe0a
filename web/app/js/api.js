// GraphQL over HTTP POST. Mutations' expected failures (their `errors` field) are raised too.

import { Q } from './queries.js';
import { session } from './session.js';

export class ApiError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

const hooks = { unauthenticated: () => {} };
export const onUnauthenticated = (callback) => { hooks.unauthenticated = callback; };

export async function gql(query, variables = {}, token = session.token) {
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
    if (error.extensions?.code === 'UNAUTHENTICATED' && session.viewer) hooks.unauthenticated();
    throw new ApiError(error.message, error.extensions?.code);
  }
  return body.data;
}

export async function mutate(name, variables = {}, token = session.token) {
  const payload = (await gql(Q[name], variables, token))[name];
  const error = payload.errors?.[0];
  if (error) throw new ApiError(error.message, error.code);
  return payload;
}
