/**
 * Agents whose status document changes on command, for the change-feed scenario: each is a real
 * bolt client (its own certificate from the tower's CA, TLS, WebSocket) answering `/status` from
 * memory. While armed, every poll gets a new document, and the agent records when it served it on
 * the shared monotonic clock: the start of a change's trip through the tower to the subscribers.
 *
 *   node flip-agent.js <tower-url> <data-dir> <count> <prefix> <status-port>
 *
 * Messages: sends `ready` when all are connected; takes `arm`, `disarm`, and `report` (-> `served`).
 */
import { type BoltClient, connectBolt } from '../../src/bolt/agent/connect-bolt.js';
import { issueClientCertificate } from '../../src/certs/authority.js';
import { loadDataDirAuthority } from '../../src/certs/store.js';
import { monotonicMs } from '../procs/clock.js';

export interface Served {
  readonly id: string;
  readonly generation: number;
  readonly at: number;
}

const [tower = '', dataDir = '', countArg = '1', prefix = 'flip', portArg = '5000'] = process.argv.slice(2);
const count = Number(countArg);
const statusPort = Number(portArg);
const served: Served[] = [];
let armed = false;

const authority = await loadDataDirAuthority(dataDir);
const clients: BoltClient[] = [];
const connected: Promise<void>[] = [];
for (let i = 1; i <= count; i++) {
  const id = `${prefix}-${String(i).padStart(2, '0')}`;
  const identity = await issueClientCertificate(authority, id);
  let generation = 0;
  const client = connectBolt({
    towers: [tower],
    ca: authority.certPem,
    cert: identity.certPem,
    key: identity.keyPem,
    allow: [statusPort],
    agentName: 'stormtower-bench-flip',
    respond: (request) => {
      if (request.method !== 'GET' || request.path.split('?')[0] !== '/status') return { status: 404 };
      if (armed) {
        generation++;
        served.push({ id, generation, at: monotonicMs() });
      }
      const document = { id, role: 'flip', packages: [{ name: 'flip', version: String(generation) }] };
      return { status: 200, headers: ['content-type', 'application/json'], body: JSON.stringify(document) };
    },
  });
  clients.push(client);
  connected.push(new Promise((resolve) => client.once('connected', () => resolve())));
}
await Promise.all(connected);
process.send?.({ type: 'ready' });

process.on('message', (message: { type: string }) => {
  if (message.type === 'arm') armed = true;
  if (message.type === 'disarm') armed = false;
  if (message.type === 'report') process.send?.({ type: 'served', served });
});
process.on('disconnect', () => {
  void Promise.all(clients.map((client) => client.close())).finally(() => process.exit(0));
});
