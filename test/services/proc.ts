// Child-process plumbing shared by the Kafka and Elasticsearch starters: spawn a service into its own
// process group with its output in a file, stop it (SIGTERM, then SIGKILL after a deadline), and make
// sure none outlives this Node process (exit/signal handlers, and the kernel's parent-death signal
// through `setpriv --pdeathsig` where util-linux has it, which also covers a SIGKILLed parent).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface ServiceProcess {
  /** What this is, for error messages: "Kafka 4.1.1 broker (127.0.0.1:40001)". */
  readonly label: string;
  readonly pid: number;
  /** The file that receives the child's stdout and stderr. */
  readonly outputFile: string;
  running(): boolean;
  /** "exit code 1", "signal SIGKILL", or undefined while it runs. */
  exitDescription(): string | undefined;
  /** Resolves once the process has exited (at once if it already has). */
  exited(): Promise<void>;
  /** SIGTERM to the process group, then SIGKILL if it is still there after `graceMs`. */
  terminate(graceMs: number): Promise<void>;
  /** SIGKILL to the process group, synchronously (usable in 'exit' handlers). */
  killNow(): void;
}

export interface SpawnServiceOptions {
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  outputFile: string;
  /** Run as this user (only when we are root). */
  user?: { uid: number; gid: number };
}

const live = new Set<ServiceProcess>();
const exitCleanups = new Set<() => void>();
let handlersInstalled = false;

function runExitCleanups(): void {
  for (const p of live) p.killNow();
  for (const fn of exitCleanups) {
    try {
      fn();
    } catch {
      // best effort while the process is going away
    }
  }
  exitCleanups.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', runExitCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // Someone else (serve.ts, the test harness) handles this signal and will exit; our 'exit'
      // handler then runs. Alone, we clean up and re-raise so the default action still happens.
      if (process.listenerCount(sig) > 1) return;
      runExitCleanups();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Register a synchronous cleanup (e.g. removing a temp dir) for process exit; returns an unregister function. */
export function onProcessExit(fn: () => void): () => void {
  installHandlers();
  exitCleanups.add(fn);
  return () => {
    exitCleanups.delete(fn);
  };
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivAvailable === undefined) {
    const r = spawnSync('setpriv', ['--help'], { stdio: 'ignore' });
    setprivAvailable = r.error === undefined && r.status === 0 && process.platform === 'linux';
  }
  return setprivAvailable;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function spawnService(opts: SpawnServiceOptions): ServiceProcess {
  installHandlers();
  let command = opts.command;
  let args = opts.args;
  let uid: number | undefined;
  let gid: number | undefined;
  if (hasSetpriv()) {
    const prefix = ['--pdeathsig', 'KILL'];
    if (opts.user) prefix.push(`--reuid=${opts.user.uid}`, `--regid=${opts.user.gid}`, '--clear-groups');
    args = [...prefix, '--', command, ...args];
    command = 'setpriv';
  } else if (opts.user) {
    uid = opts.user.uid;
    gid = opts.user.gid;
  }
  const fd = openSync(opts.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true, uid, gid });
  } finally {
    closeSync(fd);
  }
  // The child must not keep the event loop alive: a test file that forgot to stop its service still ends,
  // and the 'exit' handler (plus the parent-death signal) takes the service down with it.
  child.unref();
  let exitInfo: string | undefined;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
      live.delete(proc);
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exitInfo = `failed to spawn ${opts.command}: ${err.message}`;
      live.delete(proc);
      resolve();
    });
  });
  // While someone awaits the exit, the child must hold the event loop open; otherwise a test awaiting
  // crash() sees its loop drain and node:test cancels it ("Promise resolution is still pending").
  const waitExit = async (): Promise<void> => {
    child.ref();
    try {
      await exitedPromise;
    } finally {
      child.unref();
    }
  };
  const pid = child.pid ?? -1;
  const proc: ServiceProcess = {
    label: opts.label,
    pid,
    outputFile: opts.outputFile,
    running: () => exitInfo === undefined,
    exitDescription: () => exitInfo,
    exited: waitExit,
    async terminate(graceMs: number): Promise<void> {
      if (exitInfo !== undefined || pid < 0) return;
      signalGroup(pid, 'SIGTERM');
      const cancel = new AbortController();
      const timer = delay(graceMs, 'timeout' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const);
      const outcome = await Promise.race([waitExit().then(() => 'exited' as const), timer]);
      cancel.abort();
      if (outcome === 'timeout') {
        signalGroup(pid, 'SIGKILL');
        await waitExit();
      }
      // Children of the service in the same group (Elasticsearch's server JVM) go down with it.
      signalGroup(pid, 'SIGKILL');
    },
    killNow(): void {
      if (pid > 0 && exitInfo === undefined) signalGroup(pid, 'SIGKILL');
    },
  };
  if (spawnError === undefined && pid > 0) live.add(proc);
  return proc;
}

/** The last `maxLines` lines of a text file, or a note saying it is missing/empty. */
export function tailFile(file: string, maxLines = 40): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    const tail = lines.slice(-maxLines - 1).join('\n').trimEnd();
    return tail === '' ? `(${file} is empty)` : tail;
  } finally {
    closeSync(fd);
  }
}

export interface PollOptions {
  /** Absolute deadline, as Date.now() milliseconds. */
  deadline: number;
  intervalMs?: number;
  /** Returns a reason to give up early (e.g. the process exited). */
  abortReason?: () => string | undefined;
}

/**
 * Calls `attempt` until it returns a value (not undefined) or the deadline passes. A thrown error counts
 * as "not yet"; the last one is reported in the timeout error.
 */
export async function pollUntil<T>(what: string, attempt: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  let lastError: string;
  while (true) {
    const reason = opts.abortReason?.();
    if (reason !== undefined) throw new Error(`${what}: gave up: ${reason}`);
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = 'not ready yet';
    } catch (err: unknown) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= opts.deadline) throw new Error(`${what}: not ready by the deadline (last: ${lastError})`);
    await delay(opts.intervalMs ?? 250);
  }
}

/** Runs `command args` and returns its combined output, or undefined when the command does not exist. */
export function probeCommand(command: string, args: string[]): { status: number | null; output: string } | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error !== undefined) return undefined;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const OWNER_FILE = 'owner.pid';

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A fresh temp folder `<tmp>/<prefix>XXXXXX` that records this process as its owner. Folders with the
 * same prefix whose owner is dead (a test process killed with SIGKILL cannot clean up) are removed.
 */
export function claimTempDir(prefix: string): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(base, name);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
    } catch {
      continue; // not ours, or not created by this code
    }
    if (Number.isInteger(pid) && pid > 0 && !ownerAlive(pid)) rmSync(dir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, prefix));
  writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}
