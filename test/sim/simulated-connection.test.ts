/**
 * A simulated agent's bolt against a real tower: every dial, the first and the reconnects after a
 * tower restart, waits for the handshake gate, and each reconnect is a fresh bolt client (the one
 * that gave up is closed, so it cannot dial behind the gate's back) that leaves out the tower lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHandshakeGate, type HandshakeGate } from '../../src/sim/handshake-gate.js';
import { SimulatedConnection } from '../../src/sim/simulated-connection.js';
import type { RunningTower } from '../../src/tower.js';
import { closeAll, eventually, freePort, onCloseAll, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

afterEach(closeAll);

/** The gate, recording the most handshakes it ever let in at once. */
function watched(gate: HandshakeGate): HandshakeGate & { readonly most: number } {
  let most = 0;
  return {
    get inFlight() {
      return gate.inFlight;
    },
    get waiting() {
      return gate.waiting;
    },
    get most() {
      return most;
    },
    async enter() {
      const release = await gate.enter();
      most = Math.max(most, gate.inFlight);
      return release;
    },
  };
}

const allListed = (running: RunningTower, cnames: readonly string[]) =>
  eventually(() => cnames.every((cname) => running.table.get(cname)?.ports));

describe('SimulatedConnection', () => {
  it('dials through the gate, and after a tower restart reconnects through it with a new client', async () => {
    const pki = await testPki();
    const boltPort = await freePort();
    const first = await tower({ boltPort });
    const gate = watched(createHandshakeGate(1));
    const cnames = ['gated-1', 'gated-2', 'gated-3', 'gated-4'];
    const connections = await Promise.all(
      cnames.map(async (cname) => {
        const identity = await pki.client(cname);
        const connection = new SimulatedConnection(
          {
            towers: [first.boltUrl],
            ca: pki.ca,
            cert: identity.cert,
            key: identity.key,
            allow: [5000],
            beaconInterval: 1,
            beaconValidity: 5,
          },
          gate,
        );
        onCloseAll(() => connection.close());
        return connection;
      }),
    );
    for (const connection of connections) connection.start();
    await Promise.all(connections.map((connection) => connection.firstConnected));
    await allListed(first, cnames);
    const before = connections.map((connection) => connection.current);
    expect(before.every((client) => client?.connected)).toBe(true);

    await first.close();
    const second = await tower({ boltPort });
    await allListed(second, cnames);
    const after = connections.map((connection) => connection.current);
    expect(after.every((client) => client?.connected)).toBe(true);
    for (const [i, client] of after.entries()) expect(client).not.toBe(before[i]);
    expect(gate.most).toBe(1);
    expect(gate.inFlight).toBe(0);
  });

  it('after losing its tower, dials another one, as a real agent does, not the lost one again', async () => {
    const pki = await testPki();
    const [lost, other] = [await tower(), await tower()];
    const identity = await pki.client('roamer');
    const connection = new SimulatedConnection(
      {
        towers: [lost.boltUrl, other.boltUrl],
        ca: pki.ca,
        cert: identity.cert,
        key: identity.key,
        allow: [5000],
        beaconInterval: 1,
        beaconValidity: 5,
        // Every fresh client would pick the first tower it is given: the lost one, were it given.
        random: () => 0,
      },
      createHandshakeGate(1),
    );
    onCloseAll(() => connection.close());
    connection.start();
    await allListed(lost, ['roamer']);

    await lost.close();
    await allListed(other, ['roamer']);
    expect(connection.current?.connected).toBe(true);
  });
});
