// Where a secret comes from. Config files never hold a secret itself, only the name of the
// environment variable or the path of the file (a Docker/Kubernetes secret mount) that holds it.
// Resolution happens once at startup; a missing secret is an error that names the variable or
// file, never a value.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { Secret } from '../text/secret.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(ENV_NAME, 'env must be an environment variable name (letters, digits, _)') }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Human description of where a secret comes from, safe to print (it never contains the value). */
export function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

export interface SecretUse {
  /** Which sink (or other component) needs the secret, for the error message. */
  readonly owner: string;
  /** What the secret is, e.g. "webhook URL". */
  readonly what: string;
}

export type FileReader = (path: string) => string;

const readUtf8: FileReader = (path) => readFileSync(path, 'utf8');

/**
 * Reads a secret. Files lose one trailing newline (editors and `echo` add it); values are
 * otherwise taken as they are. Throws SECRET_MISSING naming the variable or file.
 */
export function resolveSecret(ref: SecretRef, use: SecretUse, env: NodeJS.ProcessEnv, readFile: FileReader = readUtf8): Secret {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value.trim() === '') {
      throw new AuditwatchError('SECRET_MISSING', `${use.owner}: environment variable ${ref.env} is not set (it must hold the ${use.what})`, {
        sink: use.owner,
        variable: ref.env,
      });
    }
    return new Secret(value.trim());
  }
  let text: string;
  try {
    text = readFile(ref.file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new AuditwatchError(
      'SECRET_MISSING',
      `${use.owner}: cannot read the ${use.what} from file ${ref.file}${typeof code === 'string' ? ` (${code})` : ''}`,
      { sink: use.owner, file: ref.file },
    );
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') {
    throw new AuditwatchError('SECRET_MISSING', `${use.owner}: file ${ref.file} is empty (it must hold the ${use.what})`, { sink: use.owner, file: ref.file });
  }
  return new Secret(value);
}

/** True when the secret can be resolved: the variable is set, or the file exists. For defaults only. */
export function secretAvailable(ref: SecretRef, env: NodeJS.ProcessEnv, readFile: FileReader = readUtf8): boolean {
  try {
    resolveSecret(ref, { owner: '', what: '' }, env, readFile);
    return true;
  } catch {
    return false;
  }
}
