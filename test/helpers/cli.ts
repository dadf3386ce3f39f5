import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const built = join(root, 'dist', 'src', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * The compiled CLI when dist/ is at least as new as every source file (npm test builds first),
 * otherwise the sources through tsx: compiling ~150 modules per spawned CLI costs seconds, the
 * build does not, and a stale build must never be what a test exercises.
 */
export function cliCommand(): string[] {
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'src'))) return [join(root, 'bin', 'auditwatch.js')];
  // Resolved here so that a CLI started with another cwd (a temp dir) still finds the loader.
  return ['--import', import.meta.resolve('tsx'), entry];
}
const command = cliCommand();

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `auditwatch <args>` from source in a child process, feeding `stdin` if given. */
export function cli(args: readonly string[], opts: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
