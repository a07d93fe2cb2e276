/**
 * The forwarding fields of a relayed request. The agent's service learns who the client is from
 * the tower alone: anyone can write `X-Forwarded-For: 10.0.0.1`, so a client's own forwarding fields
 * are dropped, unless the client is a proxy the operator named (`--trust-proxy`). A trusted proxy's
 * chain is kept and its own address appended, as each proxy along a chain does.
 */
import { BlockList, isIP } from 'node:net';
import type { HeaderList } from '../link/relay.js';

/** What a client may claim about where a request came from (lower-case). */
const FORWARDING_FIELDS: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
]);

const familyOf = (address: string): 'ipv4' | 'ipv6' | undefined => {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
};

/** The proxies whose forwarding fields are believed. Node's BlockList matches `::ffff:a.b.c.d` too. */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(addresses: readonly string[] = []) {
    for (const address of addresses) {
      const family = familyOf(address);
      if (family) this.list.addAddress(address, family);
    }
    this.empty = addresses.length === 0;
  }

  has(address: string | undefined): boolean {
    if (this.empty || address === undefined) return false;
    const family = familyOf(address);
    return family !== undefined && this.list.check(address, family);
  }
}

/**
 * Makes the forwarding fields of `headers` (the client's end-to-end fields) the tower's, in place.
 * From an untrusted client its own are dropped. From a trusted proxy they are kept, its
 * `X-Forwarded-For` fields becoming one chain ending with `peer`, and its `X-Forwarded-Proto`
 * winning over the tower's.
 */
export function addForwarding(
  headers: HeaderList,
  peer: string | undefined,
  proto: string,
  trusted: boolean,
): void {
  const chain: string[] = [];
  let protoGiven = false;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const name = headers[i]?.toLowerCase() ?? '';
    if (!FORWARDING_FIELDS.has(name)) continue;
    if (trusted && name === 'x-forwarded-proto') protoGiven = true;
    if (trusted && name !== 'x-forwarded-for') continue;
    if (trusted) chain.unshift(headers[i + 1] ?? '');
    headers.splice(i, 2);
  }
  if (peer) chain.push(peer);
  if (chain.length > 0) headers.push('x-forwarded-for', chain.join(', '));
  if (!protoGiven) headers.push('x-forwarded-proto', proto);
}
