/**
 * A client that asks for a large body through the tower, reads the first part of it, then stops
 * reading until told to go on: the stalled reader a relay must wait for without spending CPU, since
 * per-stream credit and TCP back-pressure stop the bytes on their way.
 */
import http from 'node:http';
import { patternBody } from './upstreams.js';

export interface StalledDownload {
  /** Reads on; resolves with what was wrong with the answer, if anything. */
  finish(): Promise<string | undefined>;
}

/** Starts the download and resolves once `readFirst` bytes have arrived and reading has stopped. */
export function stalledDownload(
  apiUrl: string,
  target: { cname: string; port: number },
  size: number,
  options: { chunked: boolean; readFirst: number; timeoutMs: number },
): Promise<StalledDownload> {
  const path = `/proxy/${target.cname}@${target.port}/bytes/${size}${options.chunked ? '?chunked=1' : ''}`;
  const expected = patternBody(target.cname, size);
  return new Promise((resolveStalled, rejectStalled) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let stalled = false;
    let ended: (outcome: string | undefined) => void = () => {};
    const outcome = new Promise<string | undefined>((resolve) => {
      ended = resolve;
    });
    const req = http.get(`${apiUrl}${path}`, { agent: false, timeout: options.timeoutMs }, (res) => {
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (!stalled && received >= options.readFirst) {
          stalled = true;
          res.pause();
          resolveStalled({
            finish: () => {
              res.resume();
              return outcome;
            },
          });
        }
      });
      res.on('error', () => {});
      res.on('close', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) ended(`${path}: answered ${res.statusCode}`);
        else if (!res.complete) ended(`${path}: cut short after ${body.length} bytes`);
        else if (!body.equals(expected)) ended(`${path}: ${body.length} bytes, not the body sent`);
        else ended(undefined);
        rejectStalled(new Error(`${path} ended before ${options.readFirst} bytes (${res.statusCode})`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no progress in ${options.timeoutMs} ms`)));
    req.on('error', (error) => {
      ended(`${path}: ${error.message}`);
      rejectStalled(error);
    });
  });
}
