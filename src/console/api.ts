/**
 * The console's calls to the tower, relative to the page (`/ui/` → `/fleet`), with the session
 * cookie the browser holds. A 401 is its own error, so the page can show the sign-in form.
 */
import type { FleetBody, MachineGraph } from '../api/console/fleet-contract.js';

/** The API answered 401: this tower wants its token, and the browser has no valid session. */
export class SignInNeeded extends Error {}

export const apiUrl = (path: string): string => new URL(`..${path}`, location.href).toString();

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(apiUrl(path), { credentials: 'same-origin' });
  if (res.status === 401) throw new SignInNeeded('sign in with the API token');
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export const fetchFleet = (): Promise<FleetBody> => getJson<FleetBody>('/fleet');
export const fetchMachine = (): Promise<MachineGraph> => getJson<MachineGraph>('/fleet/machine');
export const fetchDocument = (cname: string): Promise<unknown> =>
  getJson<unknown>(`/minions/${encodeURIComponent(cname)}`);

/** Whether the tower wants a token at all: asked without the cookie, it answers 401 if so. */
export async function tokenRequired(): Promise<boolean> {
  const res = await fetch(apiUrl('/fleet/machine'), { credentials: 'omit' });
  return res.status === 401;
}

/** True when the token was accepted (the cookie is then set); false when it was refused. */
export async function signIn(token: string): Promise<boolean> {
  const res = await fetch(apiUrl('/session'), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status === 204) return true;
  if (res.status === 401) return false;
  throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
}

export async function signOut(): Promise<void> {
  await fetch(apiUrl('/session'), { method: 'DELETE', credentials: 'same-origin' });
}

export interface RelayAnswer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  /** Whether the body was cut at `RELAY_SHOWN_LIMIT`. */
  readonly truncated: boolean;
}

/** The most of a relayed answer shown in the relay box. */
export const RELAY_SHOWN_LIMIT = 64 * 1024;

/** `GET /proxy/<cname>@<port><path>`: one request relayed to the minion through its bolt. */
export async function relayGet(cname: string, port: number, path: string): Promise<RelayAnswer> {
  const target = `/proxy/${encodeURIComponent(cname)}@${port}${path.startsWith('/') ? path : `/${path}`}`;
  const res = await fetch(apiUrl(target), { credentials: 'same-origin' });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text.slice(0, RELAY_SHOWN_LIMIT),
    truncated: text.length > RELAY_SHOWN_LIMIT,
  };
}
