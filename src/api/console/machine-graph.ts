/**
 * The minion machine's states and transitions read off its own definition (XState's state nodes),
 * so the console's diagram is drawn from the machine that runs, not from a copy that could drift.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { MachineGraph } from './fleet-contract.js';

const AFTER = /^xstate\.after\.([^.]+)\./;

/** `xstate.after.capabilityTimeout.minion.connecting` reads as `after capabilityTimeout`. */
function eventLabel(eventType: string): string {
  const delayed = AFTER.exec(eventType);
  return delayed ? `after ${delayed[1]}` : eventType;
}

function targetedTransitions(node: AnyStateNode, from: string): MachineGraph['transitions'][number][] {
  const found: MachineGraph['transitions'][number][] = [];
  const seen = new Set<string>();
  for (const [eventType, definitions] of node.transitions) {
    for (const definition of definitions) {
      for (const target of definition.target ?? []) {
        const event = eventLabel(eventType);
        const key = `${from}>${target.key}>${event}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push({ from, to: target.key, event });
      }
    }
  }
  return found;
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const { root } = machine;
  const states = Object.values(root.states).map((node) => ({ name: node.key, final: node.type === 'final' }));
  const transitions = [
    ...Object.values(root.states).flatMap((node) => targetedTransitions(node, node.key)),
    ...targetedTransitions(root, '*'),
  ];
  const initial = root.config.initial;
  return {
    id: root.id,
    initial: typeof initial === 'string' ? initial : (states[0]?.name ?? ''),
    states,
    transitions,
  };
}
