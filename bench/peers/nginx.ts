/**
 * nginx as a plain reverse proxy in front of the upstream: `proxy_pass` with an upstream keep-alive
 * pool, streaming both ways like the other contenders (no request or response buffering to disk).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForConnect } from '../procs/ports.js';
import { type Spawned, start } from '../procs/spawn.js';

export interface Nginx {
  readonly proc: Spawned;
  readonly port: number;
  readonly config: string;
}

export function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  return `# worker_processes auto: Debian's default, one worker per core.
worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  # Keep client connections for the whole run, as Node's server does (nginx's default is 1000 requests).
  keepalive_requests 1000000;
  upstream upstream_http {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://upstream_http;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}

export async function startNginx(
  nginx: string,
  dir: string,
  port: number,
  upstreamPort: number,
): Promise<Nginx> {
  await mkdir(dir, { recursive: true });
  const config = nginxConfig(dir, port, upstreamPort);
  const file = join(dir, 'nginx.conf');
  await writeFile(file, config);
  const proc = start(nginx, ['-p', dir, '-c', file], { group: true });
  try {
    await waitForConnect(port, 10_000);
  } catch (error) {
    await proc.stop();
    throw new Error(`nginx did not start: ${proc.output().trim() || String(error)}`);
  }
  return { proc, port, config };
}
