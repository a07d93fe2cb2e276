/**
 * `certs revoke`, `certs list` and `certs renew`: what happens to agent certificates after they are
 * issued. A running tower on the same data dir picks up a revocation by itself (or on SIGHUP).
 */
import type { Command } from 'commander';
import type { KeyType } from '../certs/authority.js';
import { MAX_CSR_BYTES } from '../certs/csr-signing.js';
import { renewAgentCertificate } from '../certs/renewal.js';
import { type CertificateRow, listCertificates, revokeCertificates } from '../certs/revocation.js';
import { DEFAULT_DATA_DIR } from '../certs/store.js';
import { exitWithError } from './fail.js';
import { readBounded } from './read-bounded.js';

/** `certs list` calls a certificate expiring this many days ahead of its end, by default. */
export const DEFAULT_EXPIRING_WITHIN_DAYS = 30;

const positiveWhole = (flag: string, value: string): number => {
  const number = Number(value);
  if (!(Number.isInteger(number) && number > 0))
    throw new Error(`${flag} must be a whole number of days above 0, got "${value}"`);
  return number;
};

export function registerCertsLifecycleCommands(certs: Command, keyType: (value: string) => KeyType): void {
  certs
    .command('revoke <target>')
    .description('revoke every certificate of a cname, or one by serial; a running tower closes its bolts')
    .option('--data-dir <dir>', `where the CA lives (default ${DEFAULT_DATA_DIR})`)
    .action(async (target: string, options: { dataDir?: string }) => {
      try {
        const result = await revokeCertificates(options.dataDir ?? DEFAULT_DATA_DIR, target);
        for (const { serial, cname } of result.revoked)
          process.stdout.write(
            `revoked ${serial}${cname === undefined ? ' (not in issued.json)' : ` ${cname}`}\n`,
          );
        for (const serial of result.already) process.stdout.write(`already revoked ${serial}\n`);
        if (result.revoked.length > 0)
          process.stdout.write(
            'a tower on this data dir refuses it now and closes its bolts (or send it SIGHUP)\n',
          );
      } catch (error) {
        exitWithError(error);
      }
    });

  certs
    .command('list')
    .description('show issued, expiring, expired and revoked certificates')
    .option('--data-dir <dir>', `where the CA lives (default ${DEFAULT_DATA_DIR})`)
    .option('--json', 'one JSON array instead of a table')
    .option(
      '--expiring-within <days>',
      `call a certificate expiring this many days before its end (default ${DEFAULT_EXPIRING_WITHIN_DAYS})`,
    )
    .action(async (options: { dataDir?: string; json?: boolean; expiringWithin?: string }) => {
      try {
        const rows = await listCertificates(options.dataDir ?? DEFAULT_DATA_DIR, {
          expiringWithinDays:
            options.expiringWithin === undefined
              ? DEFAULT_EXPIRING_WITHIN_DAYS
              : positiveWhole('--expiring-within', options.expiringWithin),
        });
        process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
      } catch (error) {
        exitWithError(error);
      }
    });

  certs
    .command('renew <cname>')
    .description('issue a new certificate for a cname (the old one stays valid until revoked or expired)')
    .option('--data-dir <dir>', `where the CA lives (default ${DEFAULT_DATA_DIR})`)
    .option('--csr <file>', "sign the agent's own request instead of making a new key (- for stdin)")
    .option('--out <dir>', 'where to write <cname>.crt (and .key) and ca.crt (default <data-dir>/agents)')
    .option('--days <days>', 'validity in days (default 397)')
    .option('--key-type <type>', 'ec (P-256, default) or rsa (2048, for old peers), without --csr')
    .action(
      async (
        cname: string,
        options: { dataDir?: string; csr?: string; out?: string; days?: string; keyType?: string },
      ) => {
        try {
          const renewed = await renewAgentCertificate({
            dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
            cname,
            ...(options.csr === undefined
              ? {}
              : {
                  csrPem: await readBounded(options.csr === '-' ? '/dev/stdin' : options.csr, MAX_CSR_BYTES),
                }),
            ...(options.out ? { outDir: options.out } : {}),
            ...(options.days === undefined ? {} : { days: positiveWhole('--days', options.days) }),
            ...(options.keyType ? { keyType: keyType(options.keyType) } : {}),
          });
          process.stdout.write(
            `renewed     ${cname} (serial ${renewed.serial}, until ${renewed.notAfter})\n` +
              `certificate ${renewed.cert}\n${renewed.key ? `key         ${renewed.key}\n` : ''}ca          ${renewed.ca}\n`,
          );
        } catch (error) {
          exitWithError(error);
        }
      },
    );
}

const COLUMNS = ['CNAME', 'SERIAL', 'KIND', 'EXPIRES', 'STATE'] as const;

function table(rows: readonly CertificateRow[]): string {
  if (rows.length === 0) return 'no certificates issued yet\n';
  const cells = rows.map((row) => [row.cname, row.serial, row.kind, row.notAfter.slice(0, 10), row.state]);
  const widths = COLUMNS.map((title, i) =>
    Math.max(title.length, ...cells.map((cell) => cell[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]) =>
    `${values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return line(COLUMNS) + cells.map(line).join('');
}
