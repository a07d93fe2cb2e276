#!/usr/bin/env node
/**
 * `stormtower`: one executable, with a subcommand per role (tower, agent, certificates).
 */
import { Command } from 'commander';
import { registerAgentCommand } from './agent-command.js';
import { registerCertsCommands } from './certs-command.js';
import { registerDemoCommand } from './demo-command.js';
import { packageVersion } from './package-version.js';
import { registerSimulateCommand } from './simulate-command.js';
import { registerStartCommand } from './start-command.js';

const program = new Command('stormtower')
  .description('control tower for fleets of remote agents connected over mutually-authenticated bolts')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();

registerStartCommand(program);
registerAgentCommand(program);
registerCertsCommands(program);
registerSimulateCommand(program);
registerDemoCommand(program);

await program.parseAsync(process.argv);
