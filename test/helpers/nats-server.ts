/**
 * A real `nats-server -js` for cluster tests (the demo's own, `src/cluster/local-nats.ts`). The tests
 * install nothing: `.ci/run` installs Debian's nats-server package.
 */
export {
  type LocalNats as NatsServer,
  startLocalNats as startNatsServer,
} from '../../src/cluster/local-nats.js';
