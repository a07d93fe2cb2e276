/**
 * The suite's own helper processes (upstream server, clients, agents): Node scripts under
 * `dist/bench/workers/`, each its own process, talking to the orchestrator over an IPC channel.
 */
import { type RunContext, worker } from '../context.js';
import { InterruptedError, interruptedSinceWatch, onInterrupt } from './interruptions.js';
import { type Spawned, type SpawnOptions, start } from './spawn.js';

export interface WorkerMessage {
  readonly type: string;
}

export interface Worker extends Spawned {
  send<T extends WorkerMessage>(message: T): void;
  /** The next message of `type` (or an `error` message, which rejects). */
  next<T extends WorkerMessage>(type: T['type'], timeoutMs: number): Promise<T>;
}

export function startWorker(
  ctx: RunContext,
  name: string,
  args: readonly (string | number)[],
  options: Pick<SpawnOptions, 'oneShot'> = {},
): Worker {
  const proc = start(worker(ctx, name), args.map(String), { ...options, ipc: true });
  const inbox: WorkerMessage[] = [];
  const waiters = new Set<() => void>();
  proc.child.on('message', (message: WorkerMessage) => {
    inbox.push(message);
    for (const wake of [...waiters]) wake();
  });
  return {
    ...proc,
    send<T extends WorkerMessage>(message: T) {
      proc.child.send(message);
    },
    next<T extends WorkerMessage>(type: T['type'], timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const finish = (error?: Error, value?: T) => {
          clearTimeout(timer);
          waiters.delete(look);
          stopListening();
          proc.child.off('exit', onExit);
          if (error) reject(error);
          else resolve(value as T);
        };
        const look = () => {
          const at = inbox.findIndex((m) => m.type === type || m.type === 'error');
          if (at < 0) return;
          const [message] = inbox.splice(at, 1);
          if (message?.type === 'error') {
            const text = (message as WorkerMessage & { message?: string }).message;
            finish(new Error(`${name}: ${text ?? 'failed'}`));
          } else finish(undefined, message as T);
        };
        const onExit = () =>
          setImmediate(() => {
            look();
            finish(new Error(`${name} exited before sending "${type}": ${proc.output().trim().slice(-500)}`));
          });
        const timer = setTimeout(
          () => finish(new Error(`${name}: no "${type}" within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        // Another process of the scenario dying (a tower, an agent) ends the wait too.
        const stopListening = onInterrupt(() => finish(new InterruptedError(interruptedSinceWatch())));
        waiters.add(look);
        proc.child.once('exit', onExit);
        look();
      });
    },
  };
}
