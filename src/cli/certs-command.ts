/**
 * `stormtower certs init` and `stormtower certs issue <cname>`: the CA, the tower's certificate and
 * the agents' client certificates.
 */
import type { Command } from 'commander';
import type { KeyType } from '../certs/authority.js';
import { DEFAULT_DATA_DIR, initCertificates, issueAgentCertificate } from '../certs/store.js';
import { collect, exitWithError } from './fail.js';

const keyType = (value: string): KeyType => {
  if (value !== 'ec' && value !== 'rsa') throw new Error(`--key-type must be "ec" or "rsa", got "${value}"`);
  return value;
};

export function registerCertsCommands(program: Command): void {
  const certs = program.command('certs').description('create the CA and issue certificates');

  certs
    .command('init')
    .description('create a CA and the tower server certificate (existing files are kept)')
    .option('--data-dir <dir>', `where the tower keeps its certificates (default ${DEFAULT_DATA_DIR})`)
    .option('--name <name>', 'an extra DNS name or address for the tower certificate (repeatable)', collect)
    .option('--key-type <type>', 'ec (P-256, default) or rsa (2048, for old peers)')
    .action(async (options: { dataDir?: string; name?: string[]; keyType?: string }) => {
      try {
        const result = await initCertificates({
          dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
          names: options.name ?? [],
          ...(options.keyType ? { keyType: keyType(options.keyType) } : {}),
        });
        for (const path of result.created) process.stdout.write(`created ${path}\n`);
        for (const path of result.existing) process.stdout.write(`kept    ${path}\n`);
      } catch (error) {
        exitWithError(error);
      }
    });

  certs
    .command('issue <cname>')
    .description('issue a client certificate for an agent (CN = cname), signed by the CA')
    .option('--data-dir <dir>', `where the CA lives (default ${DEFAULT_DATA_DIR})`)
    .option('--out <dir>', 'where to write <cname>.crt, <cname>.key and ca.crt (default <data-dir>/agents)')
    .option('--key-type <type>', 'ec (P-256, default) or rsa (2048, for old peers)')
    .action(async (cname: string, options: { dataDir?: string; out?: string; keyType?: string }) => {
      try {
        const files = await issueAgentCertificate({
          dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
          cname,
          ...(options.out ? { outDir: options.out } : {}),
          ...(options.keyType ? { keyType: keyType(options.keyType) } : {}),
        });
        process.stdout.write(
          `certificate ${files.cert}\nkey         ${files.key}\nca          ${files.ca}\n`,
        );
      } catch (error) {
        exitWithError(error);
      }
    });
}
