/**
 * @module interfaces/cli/secret-input
 * A password read from standard input (`--password-stdin`), never from an argument, where
 * it would show in the shell's history and in `ps`. One trailing line break is dropped.
 */
import { RepriseError } from '../../core/errors.js';

export async function readSecretFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if ((stdin as NodeJS.ReadStream).isTTY) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--password-stdin: standard input is a terminal; pipe the password in, e.g. read -rs PW && printf %s "$PW" | reprise …', {
      details: { option: '--password-stdin' },
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--password-stdin: standard input was empty', { details: { option: '--password-stdin' } });
  return text;
}
