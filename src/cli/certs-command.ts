/**
 * `stormtower certs init`, `certs issue <cname>` and `certs sign <csr>`: the CA, the tower's certificate
 * and the agents' client certificates, made here with their keys or signed from an agent's own request.
 * What follows issuing (revoke, list, renew) is in certs-lifecycle-commands.ts.
 */

import type { Command } from 'commander';
import type { KeyType } from '../certs/authority.js';
import { MAX_CSR_BYTES } from '../certs/csr-signing.js';
import {
  DEFAULT_DATA_DIR,
  initCertificates,
  issueAgentCertificate,
  signAgentRequest,
} from '../certs/store.js';
import { registerCertsLifecycleCommands } from './certs-lifecycle-commands.js';
import { collect, exitWithError } from './fail.js';
import { readBounded } from './read-bounded.js';

const keyType = (value: string): KeyType => {
  if (value !== 'ec' && value !== 'rsa') throw new Error(`--key-type must be "ec" or "rsa", got "${value}"`);
  return value;
};

const wholeDays = (value: string): number => {
  const days = Number(value);
  if (!(Number.isInteger(days) && days > 0))
    throw new Error(`--days must be a whole number of days above 0, got "${value}"`);
  return days;
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
    .option('--days <days>', 'validity in days (default 397)')
    .action(
      async (cname: string, options: { dataDir?: string; out?: string; keyType?: string; days?: string }) => {
        try {
          const files = await issueAgentCertificate({
            dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
            cname,
            ...(options.out ? { outDir: options.out } : {}),
            ...(options.keyType ? { keyType: keyType(options.keyType) } : {}),
            ...(options.days === undefined ? {} : { days: wholeDays(options.days) }),
          });
          process.stdout.write(
            `certificate ${files.cert}\nkey         ${files.key}\nca          ${files.ca}\n`,
          );
        } catch (error) {
          exitWithError(error);
        }
      },
    );

  certs
    .command('sign <csr>')
    .description("sign an agent's own certificate signing request (PEM file, or - for stdin)")
    .option('--data-dir <dir>', `where the CA lives (default ${DEFAULT_DATA_DIR})`)
    .option('--cname <cname>', "the agent's cname, instead of the request's CN")
    .option('--out <dir>', 'where to write <cname>.crt and ca.crt (default <data-dir>/agents)')
    .option('--days <days>', 'validity in days (default 397)')
    .action(
      async (csr: string, options: { dataDir?: string; cname?: string; out?: string; days?: string }) => {
        try {
          const days = options.days === undefined ? undefined : wholeDays(options.days);
          const csrPem = await readBounded(csr === '-' ? '/dev/stdin' : csr, MAX_CSR_BYTES);
          const signed = await signAgentRequest({
            dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
            csrPem,
            ...(options.cname ? { cname: options.cname } : {}),
            ...(options.out ? { outDir: options.out } : {}),
            ...(days === undefined ? {} : { days }),
          });
          process.stdout.write(
            `signed      ${signed.cname} (${signed.key})\ncertificate ${signed.cert}\nca          ${signed.ca}\n`,
          );
        } catch (error) {
          exitWithError(error);
        }
      },
    );

  registerCertsLifecycleCommands(certs, keyType);
}
