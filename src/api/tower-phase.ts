/**
 * Where the tower is in its life, as `/ready` and the drain gate see it: `starting` until every
 * listener is up, `serving`, then `draining` from the first SIGTERM to the exit.
 */
export type TowerPhase = 'starting' | 'serving' | 'draining';
