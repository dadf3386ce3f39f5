// The ignored download cache at <repo>/.cache and the external tools that fill it (Maven, Java).
// Installs are atomic: built in a sibling temp folder, marked complete, then renamed into place, so two
// test processes resolving at once, or a run interrupted half-way, never leave a half-filled folder in use.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { probeCommand } from './proc.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function cachePath(...parts: string[]): string {
  return join(repoRoot, '.cache', ...parts);
}

const COMPLETE_MARKER = '.complete';

export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_MARKER));
}

/** Builds `dir` with `build(tempDir)` unless a complete copy is already there. Returns true when it built. */
export async function installOnce(dir: string, build: (tempDir: string) => Promise<void>): Promise<boolean> {
  if (isInstalled(dir)) return false;
  mkdirSync(dirname(dir), { recursive: true });
  const temp = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(temp, { recursive: true });
  try {
    await build(temp);
    writeFileSync(join(temp, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    if (isInstalled(dir)) return false; // another process finished first
    rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
    try {
      renameSync(temp, dir);
    } catch (err: unknown) {
      if (!isInstalled(dir)) throw err;
      return false;
    }
    return true;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

export function requireJava(purpose: string, javaBin = 'java'): void {
  const probe = probeCommand(javaBin, ['-version']);
  if (probe === undefined || probe.status !== 0) {
    throw new Error(
      `${purpose} needs Java 17+, but \`${javaBin} -version\` could not run` +
        `${probe ? `: ${probe.output.trim()}` : ' (not found on PATH)'}. Install it: apt-get install -y openjdk-17-jre-headless`,
    );
  }
}

export function requireMaven(purpose: string): void {
  const probe = probeCommand('mvn', ['-v']);
  if (probe === undefined || probe.status !== 0) {
    throw new Error(
      `${purpose} downloads from Maven Central with \`mvn\`, but \`mvn -v\` could not run` +
        `${probe ? `: ${probe.output.trim()}` : ' (not found on PATH)'}. Install it: apt-get install -y maven`,
    );
  }
}

/** Runs a command to completion without blocking the event loop; throws with the tail of its output. */
export function runCommand(label: string, command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (err) => reject(new Error(`${label}: could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) {
        resolve(output);
        return;
      }
      const tail = output.trimEnd().split('\n').slice(-30).join('\n');
      const how = signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
      reject(new Error(`${label}: \`${command} ${args.join(' ')}\` failed (${how}) in ${cwd}:\n${tail}`));
    });
  });
}

/** Maven in batch mode with a pinned dependency plugin (Maven 3.8's default one is very old). */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

// One Maven at a time in this process: Kafka and Elasticsearch start in parallel, and two Mavens
// filling the same empty ~/.m2 (the dependency plugin itself, at least) at once is not supported.
let mavenQueue: Promise<unknown> = Promise.resolve();

export function runMaven(label: string, args: string[], cwd: string): Promise<string> {
  const run = mavenQueue.then(() => runCommand(label, 'mvn', ['-B', '-q', '-Dstyle.color=never', ...args], cwd));
  mavenQueue = run.catch(() => undefined);
  return run;
}
