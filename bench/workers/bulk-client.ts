/**
 * One bulk transfer at a time, as a separate process: downloads or uploads `bytes` bytes through a
 * URL, checks every byte against the shared pattern, and reports the time and the verdict over IPC.
 *
 *   node bulk-client.js download|upload <url> <bytes> <repeats>
 *
 * HTTP/1.1 is spoken straight on the socket (raw-http.ts): Node's HTTP client tops out near 1 GB/s
 * here, which would cap the direct baseline. Each transfer has its own connection: at 100 MB the
 * handshake is noise.
 */
import { monotonicMs } from '../procs/clock.js';
import { PayloadCheck, payloadChunks } from './pattern.js';
import { RawHttpClient } from './raw-http.js';

export interface BulkTransfer {
  readonly bytes: number;
  /** Start and end on the shared monotonic clock, so memory samples can be placed in the transfer. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly seconds: number;
  readonly ok: boolean;
  readonly detail: string;
}

async function download(url: URL, total: number): Promise<BulkTransfer> {
  const check = new PayloadCheck();
  const started = monotonicMs();
  const client = new RawHttpClient(url);
  const { status } = await client
    .request({ method: 'GET', path: `${url.pathname}${url.search}`, onBody: (chunk) => check.update(chunk) })
    .finally(() => client.close());
  const endedAt = monotonicMs();
  const seconds = (endedAt - started) / 1000;
  const ok = status === 200 && check.ok(total);
  const detail = ok
    ? `${check.bytes} bytes, all matched`
    : `status ${status}, ${check.bytes} bytes, first mismatch at ${check.mismatchAt ?? 'none'}`;
  return { bytes: check.bytes, startedAt: started, endedAt, seconds, ok, detail };
}

async function upload(url: URL, total: number): Promise<BulkTransfer> {
  const parts: Buffer[] = [];
  const started = monotonicMs();
  const client = new RawHttpClient(url);
  const { status } = await client
    .request({
      method: 'POST',
      path: url.pathname,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': total },
      body: payloadChunks(total),
      onBody: (chunk) => parts.push(chunk),
    })
    .finally(() => client.close());
  const endedAt = monotonicMs();
  const seconds = (endedAt - started) / 1000;
  const text = Buffer.concat(parts).toString('utf8');
  let verdict: { bytes?: number; mismatchAt?: number | null } = {};
  try {
    verdict = JSON.parse(text) as typeof verdict;
  } catch {
    // Not the upstream's answer: reported below.
  }
  const ok = status === 200 && verdict.bytes === total && verdict.mismatchAt === null;
  const detail = ok
    ? `${total} bytes received upstream, all matched`
    : `status ${status}: ${text.slice(0, 200)}`;
  return { bytes: verdict.bytes ?? 0, startedAt: started, endedAt, seconds, ok, detail };
}

const [mode, url = '', bytesArg = '0', repeatsArg = '1'] = process.argv.slice(2);
const transfers: BulkTransfer[] = [];
try {
  for (let i = 0; i < Number(repeatsArg); i++) {
    const target = new URL(url);
    transfers.push(
      await (mode === 'upload' ? upload(target, Number(bytesArg)) : download(target, Number(bytesArg))),
    );
  }
  process.send?.({ type: 'result', transfers });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
process.disconnect?.();
