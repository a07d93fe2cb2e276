/**
 * Reads `node --trace-gc-nvp dist/bench/poll-promotion.js` on stdin: sums the bytes scavenges
 * promoted between its `#measure-start` and `#measure-end` lines and prints them per poll beside the
 * harness's own summary (see poll-promotion.ts).
 */
import { createInterface } from 'node:readline';

let inside = false;
let promoted = 0;
let scavenges = 0;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === '#measure-start') inside = true;
  else if (line === '#measure-end') inside = false;
  else if (line.startsWith('#summary ')) {
    const summary = JSON.parse(line.slice('#summary '.length)) as { polls: number };
    const result = { ...summary, scavengesTraced: scavenges, promotedMiB: promoted / 2 ** 20 };
    console.log(JSON.stringify({ ...result, promotedPerPollBytes: Math.round(promoted / summary.polls) }));
  } else if (inside && line.includes('gc=s ')) {
    const match = / promoted=(\d+)/.exec(line);
    if (match) {
      promoted += Number(match[1]);
      scavenges += 1;
    }
  }
});
