/**
 * `stormtower agent --enroll <cname>`: makes the agent's key and a signing request on the agent's
 * machine, and says what the operator runs on the tower's host to sign it.
 */
import { dirname, join } from 'node:path';
import { enrol } from '../certs/enrolment.js';

export interface EnrolFlags {
  readonly cname: string;
  /** The key's path (`--key`); `<cname>.key` in the current directory by default. */
  readonly key?: string;
  readonly force?: boolean;
}

export async function runEnrolment(flags: EnrolFlags): Promise<void> {
  const keyPath = flags.key ?? `${flags.cname}.key`;
  const csrPath = join(dirname(keyPath), `${flags.cname}.csr`);
  const enrolment = await enrol({ cname: flags.cname, keyPath, csrPath, force: flags.force ?? false });
  process.stdout.write(
    `key ${enrolment.keyPath} (0600, stays here)\nrequest ${enrolment.csrPath}\n\n${enrolment.csrPem}\n` +
      `On the tower's host, sign it:\n  stormtower certs sign ${flags.cname}.csr\n` +
      `then copy <data-dir>/agents/${flags.cname}.crt and ca.crt here, and start the agent with\n` +
      `  --cert ${join(dirname(keyPath), `${flags.cname}.crt`)} --key ${enrolment.keyPath} --ca ${join(dirname(keyPath), 'ca.crt')}\n`,
  );
}
