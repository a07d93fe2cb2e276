/**
 * Relay, small requests: 1 KB GETs and 1 KB POSTs at concurrency 50 through each contender, with
 * wrk (one thread, keep-alive) as the client. Requests/s and p50/p99 latency, each as a ratio to
 * going direct, plus the goals for stormtower against OpenSSH and nginx.
 */
import type { RunContext } from '../context.js';
import { int, ms, preciseRatio, ratio, signedMs } from '../format.js';
import { isAvailable } from '../peers/find-peers.js';
import { postScript, runWrk, type WrkResult } from '../peers/wrk.js';
import { describeCpu, meterCpu } from '../procs/cpu-account.js';
import type { Row } from '../types.js';
import type { ContenderName, Contenders } from './contenders.js';
import { type CpuCosts, cpuGoalRow } from './cpu-goal.js';

const SCENARIO = 'Relay, small requests';
const CONNECTIONS = 50;

export interface ScenarioOutput {
  readonly rows: Row[];
  readonly notes: string[];
  readonly raw: unknown;
}

type Method = 'GET' | 'POST';

/** A goal row: judged when both sides were measured, else the reason one was not. */
function goalRow(
  key: string,
  label: string,
  text: string,
  judged: { result: string; met: boolean; value: number } | string,
): Row {
  return typeof judged === 'string'
    ? { key, scenario: SCENARIO, label, result: `skipped: ${judged}`, goal: { text, met: undefined } }
    : {
        key,
        scenario: SCENARIO,
        label,
        result: judged.result,
        goal: { text, met: judged.met },
        values: { value: judged.value },
      };
}

/** Why a comparison cannot be made: the first side that was not measured. */
const reasonOf = (...sides: (WrkResult | string)[]): string =>
  sides.find((side): side is string => typeof side === 'string') ?? 'not measured';

function goalRows(method: Method, results: Map<ContenderName, WrkResult | string>): Row[] {
  const key = `relay-small.${method.toLowerCase()}`;
  const ours = results.get('stormtower') ?? 'not measured';
  const direct = results.get('direct') ?? 'not measured';
  const versus = (name: 'ssh -R' | 'nginx', factor: number): Row => {
    const other = results.get(name) ?? 'not measured';
    return goalRow(
      `${key}.goal-${name === 'nginx' ? 'nginx' : 'ssh'}`,
      `${method} 1 KB: stormtower vs ${name}`,
      `stormtower >= ${factor.toFixed(1)}x ${name} req/s`,
      typeof ours === 'object' && typeof other === 'object'
        ? {
            result: `${preciseRatio(ours.requestsPerSec / other.requestsPerSec)} (${int(ours.requestsPerSec)} vs ${int(other.requestsPerSec)} req/s)`,
            met: ours.requestsPerSec / other.requestsPerSec >= factor,
            value: ours.requestsPerSec / other.requestsPerSec,
          }
        : reasonOf(ours, other),
    );
  };
  const p99 = goalRow(
    `${key}.goal-p99`,
    `${method} 1 KB: stormtower p99 over direct`,
    'p99 < direct p99 + 2 ms',
    typeof ours === 'object' && typeof direct === 'object'
      ? {
          result: `${signedMs(ours.p99Ms - direct.p99Ms)} (${ms(ours.p99Ms)} vs ${ms(direct.p99Ms)})`,
          met: ours.p99Ms - direct.p99Ms < 2,
          value: ours.p99Ms - direct.p99Ms,
        }
      : reasonOf(ours, direct),
  );
  return [versus('ssh -R', 2.0), versus('nginx', 0.5), p99];
}

/** CPU microseconds per request, per role, from CPU seconds over `requests` requests. */
function perRequestMicros(spent: Map<string, number>, requests: number): Map<string, number> {
  return new Map(
    [...spent].map(([role, secs]) => [role, requests > 0 ? (secs * 1e6) / requests : Number.NaN]),
  );
}

export async function relaySmall(ctx: RunContext, contenders: Contenders): Promise<ScenarioOutput> {
  const { wrk } = ctx.peers;
  const seconds = ctx.quick ? 1 : 10;
  const warmup = ctx.quick ? 0 : 2;
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const post = await postScript(ctx.tmp, 1024);
  for (const method of ['GET', 'POST'] as const) {
    const results = new Map<ContenderName, WrkResult | string>();
    const cpuBy = new Map<ContenderName, CpuCosts>();
    const costs: string[] = [];
    for (const contender of contenders.list) {
      const key = `relay-small.${method.toLowerCase()}.${contender.name === 'ssh -R' ? 'ssh' : contender.name}`;
      const label = `${method} 1 KB, c${CONNECTIONS}: ${contender.name}`;
      const target = !isAvailable(wrk)
        ? wrk
        : typeof contender.base === 'string'
          ? { url: `${contender.base}/1k` }
          : contender.base;
      if ('skip' in target) {
        results.set(contender.name, target.skip);
        rows.push({ key, scenario: SCENARIO, label, result: `skipped: ${target.skip}` });
        continue;
      }
      ctx.log(`relay-small: ${method} through ${contender.name}`);
      const options = {
        wrk: isAvailable(wrk) ? wrk.path : 'wrk',
        url: target.url,
        connections: CONNECTIONS,
        ...(method === 'POST' ? { script: post } : {}),
      };
      // A short run first: JIT warm-up for the Node processes, connection pools filled.
      if (warmup > 0) await runWrk({ ...options, seconds: warmup });
      const meter = meterCpu([...contender.relays, contenders.upstream]);
      const result = await runWrk({ ...options, seconds });
      const cpu = perRequestMicros(meter.stop(), result.requests);
      costs.push(`${contender.name}: ${describeCpu(Object.fromEntries(cpu), 'µs')}`);
      cpuBy.set(contender.name, Object.fromEntries(cpu));
      results.set(contender.name, result);
      raw[key] = { ...result, cpuMicrosPerRequest: Object.fromEntries(cpu) };
      const direct = results.get('direct');
      rows.push({
        key,
        scenario: SCENARIO,
        label,
        result:
          `${int(result.requestsPerSec)} req/s, p50 ${ms(result.p50Ms)}, p99 ${ms(result.p99Ms)}` +
          (result.errors ? ` (${result.errors})` : ''),
        ratio:
          contender.name === 'direct'
            ? 'baseline'
            : typeof direct === 'object'
              ? `${ratio(result.requestsPerSec / direct.requestsPerSec)} direct`
              : undefined,
        values: {
          requestsPerSec: result.requestsPerSec,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          errors: result.errors ?? null,
        },
      });
    }
    rows.push({
      key: `relay-small.${method.toLowerCase()}.cpu`,
      scenario: SCENARIO,
      label: `${method} 1 KB: CPU per request`,
      result: costs.length > 0 ? costs.join('; ') : 'skipped: nothing was measured',
    });
    rows.push(...goalRows(method, results));
    const side = (name: ContenderName): CpuCosts | string => {
      const result = results.get(name);
      return typeof result === 'string' ? result : (cpuBy.get(name) ?? 'not measured');
    };
    rows.push(
      cpuGoalRow({
        key: `relay-small.${method.toLowerCase()}.goal-cpu`,
        scenario: SCENARIO,
        label: `${method} 1 KB: stormtower CPU per request vs ssh -R`,
        limit: 2.0,
        unit: 'µs per request',
        ours: side('stormtower'),
        ssh: side('ssh -R'),
      }),
    );
  }
  return {
    rows,
    notes: [
      "CPU per request: user + system CPU time of each process (with its children: nginx workers, sshd session processes) during the measured wrk run, divided by the requests wrk completed. On 2 cores shared by wrk, the upstream and the relay, the relay's CPU per request is what bounds its requests/s.",
      `wrk -t1 -c${CONNECTIONS} -d${seconds}s --latency${warmup > 0 ? `, after a ${warmup} s warm-up run` : ''}; POST bodies from a Lua script, 1024 bytes; every answer is 1024 bytes. Each contender is its own process(es) beside wrk and the upstream, all on the same cores.`,
    ],
    raw,
  };
}
