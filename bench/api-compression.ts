/**
 * What br and gzip cost and save on `GET /minions` for a 10,000-minion fleet: encoded sizes, and the
 * CPU each encoding takes (thread-pool time, measured with `process.cpuUsage`, median of 5 runs).
 * Status documents are shaped like a real agent's (a role, a few dozen packages, some counters).
 *
 *   npm run -s build && node dist/bench/api-compression.js [count]
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Encoding, encoders } from '../src/api/compression.js';

const count = Number(process.argv[2] ?? 10_000);

function document(i: number): unknown {
  const packages = Array.from({ length: 30 }, (_, p) => ({
    name: `pkg-${(i * 7 + p) % 400}`,
    version: `${1 + (p % 5)}.${(i + p) % 20}.${p % 9}`,
  }));
  return {
    id: `minion-${String(i).padStart(5, '0')}`,
    role: ['web', 'db', 'cache'][i % 3],
    uptime: 1000 + i,
    packages,
  };
}

const body = Buffer.from(
  `[${Array.from({ length: count }, (_, i) => JSON.stringify(document(i))).join(',')}]`,
);
const decode: Record<Encoding, (b: Buffer) => Buffer> = { br: brotliDecompressSync, gzip: gunzipSync };

console.log(`${count} minions, plain body ${(body.length / 1e6).toFixed(2)} MB`);
for (const encoding of ['gzip', 'br'] as const) {
  const cpu: number[] = [];
  const wall: number[] = [];
  let encoded: Buffer = Buffer.alloc(0);
  for (let run = 0; run < 5; run++) {
    const before = process.cpuUsage();
    const start = process.hrtime.bigint();
    encoded = await encoders[encoding](body);
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  if (!decode[encoding](encoded).equals(body)) throw new Error(`${encoding} did not round-trip`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] ?? Number.NaN;
  console.log(
    `${encoding.padEnd(4)} ${(encoded.length / 1e3).toFixed(0).padStart(6)} kB (${((100 * encoded.length) / body.length).toFixed(1)}%)  cpu ${median(cpu).toFixed(0)} ms  wall ${median(wall).toFixed(0)} ms`,
  );
}
