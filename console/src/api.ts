/**
 * The console's only server: `/api/v1` (and `/metrics`) with the admin token, which lives in sessionStorage
 * (gone when the tab closes). Errors carry the API's `{ "error": "..." }` message.
 * @module
 */

const KEY = 'edge-sip.admin-token';

/** A non-2xx answer of the API. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The stored admin token, if any. */
export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Keep (or forget, with null) the admin token. */
export function setToken(t: string | null): void {
  if (t === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, t);
}

/** Called when the API refuses the stored token (the shell shows the login again). */
export let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function send(path: string, init: RequestInit, bearer: string | null): Promise<Response> {
  const headers = new Headers(init.headers);
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(path, { ...init, headers });
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let message = text || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(res.status, `${res.status}: ${message}`);
}

/** Call the API (`path` below /api/v1) and read its JSON (null for 204). Throws {@link ApiError}. */
export async function api<T = unknown>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const res = await send(`/api/v1${path}`, json === undefined ? rest : { ...rest, body: JSON.stringify(json) }, token());
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

/** Like {@link api}, but also returns the status (for answers such as 206 that mean something). */
export async function apiWithStatus<T = unknown>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: T }> {
  const { json, ...rest } = init;
  const res = await send(`/api/v1${path}`, json === undefined ? rest : { ...rest, body: JSON.stringify(json) }, token());
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw await failure(res);
  return { status: res.status, body: (await res.json()) as T };
}

/** A text answer (e.g. `/metrics` with `path` = '/metrics', or a trace's messages.txt). */
export async function text(path: string): Promise<string> {
  const res = await send(path, {}, token());
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw await failure(res);
  return res.text();
}

/**
 * Check a token before keeping it: 401 means wrong; 503 that the API is disabled. Any other answer means the
 * token was accepted.
 */
export async function checkToken(candidate: string): Promise<void> {
  const res = await send('/api/v1/overview', {}, candidate);
  if (res.status === 401) throw new ApiError(401, 'Wrong admin token: the API answered 401.');
  if (res.status === 503) throw await failure(res);
}
