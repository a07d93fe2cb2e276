#!/usr/bin/env node
/**
 * `stormtower`: one executable, with a subcommand per role (tower, agent, certificates).
 */
import { Command } from 'commander';
import { applyGcSchedule } from './gc-schedule.js';
import { packageVersion } from './package-version.js';

applyGcSchedule();

const program = new Command('stormtower')
  .description('control tower for fleets of remote agents connected over mutually-authenticated bolts')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();

// `start` loads only its own code: a restart then pays for no other command's imports, which keeps
// the legacy port's restart gap short (a 0.4.3 agent refused even once never dials again).
const only = process.argv[2] === 'start';
(await import('./start-command.js')).registerStartCommand(program);
if (!only) {
  (await import('./agent-command.js')).registerAgentCommand(program);
  (await import('./certs-command.js')).registerCertsCommands(program);
  (await import('./simulate-command.js')).registerSimulateCommand(program);
  (await import('./demo-command.js')).registerDemoCommand(program);
}

await program.parseAsync(process.argv);
