// `auditwatch run` instances as child processes (`node --import tsx <cli entry> run`), so that a
// test can SIGTERM or SIGKILL them like an orchestrator would. Their stdout is the JSON-lines
// notification stream; it is collected line by line as it arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../../../services/global.js';

const RUN_ENTRY = fileURLToPath(new URL('./run-entry.ts', import.meta.url));
/** The whole CLI (slower to start): `auditwatch run` exactly as users call it. */
export const CLI_ENTRY = fileURLToPath(new URL('../../../helpers/cli-entry.ts', import.meta.url));

export interface Delivered {
  readonly id: string;
  readonly partition: number;
  readonly offset: number;
  readonly type: string;
  readonly detector: string;
  readonly at: string;
  /** The line as printed, minus id/partition/offset: the replay form of the transition. */
  readonly transition: string;
  /** Which instance printed it, and its position in that instance's output. */
  readonly instance: string;
  readonly seq: number;
}

export interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly delivered: Delivered[];
  stderr(): string;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

/** Writes auditwatch.yaml for a test group; returns its path. */
export function writeConfig(dir: string, name: string, o: { brokers: readonly string[]; groupId: string; topics: readonly string[]; keyedBy: 'callerId' | 'none'; detectors: string; extra?: string }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `detectors: ${JSON.stringify(o.detectors)}`,
      'input:',
      '  maxBytes: 2048',
      '  lateness: 30s',
      'kafka:',
      `  brokers: ${JSON.stringify(o.brokers)}`,
      `  clientId: ${name}`,
      `  groupId: ${o.groupId}`,
      '  input:',
      `    topics: ${JSON.stringify(o.topics)}`,
      `    keyedBy: ${o.keyedBy}`,
      // The minimum a default broker allows: a killed instance's partitions move on quickly.
      '  sessionTimeout: 6s',
      '  checkpoint:',
      '    interval: 2s',
      '  output: jsonl',
      ...(o.extra === undefined ? [] : [o.extra]),
      '',
    ].join('\n'),
  );
  return file;
}

export function startInstance(name: string, config: string, env: NodeJS.ProcessEnv = {}, entry: string = RUN_ENTRY): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'run'], {
    env: { ...process.env, AUDITWATCH_HEALTH_PORT: '0', ...env, AUDITWATCH_CONFIG: config, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const delivered: Delivered[] = [];
  let err = '';
  let buf = '';
  let seq = 0;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      const o = JSON.parse(line) as Record<string, unknown> & { id: string; partition: number; offset: number; type: string; detector: string; at: string };
      const { id, partition, offset, ...t } = o;
      delivered.push({ id, partition, offset, type: o.type, detector: o.detector, at: o.at, transition: JSON.stringify(t), instance: name, seq: seq++ });
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    if (process.env.AUDITWATCH_TEST_VERBOSE === '1') process.stderr.write(chunk.replace(/^/gm, `[${name}] `));
  });
  // 'close' comes after the output pipes are drained: every line printed has been read.
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  let alive = true;
  void done.then(() => (alive = false));
  return { name, child, delivered, stderr: () => err, exited: () => done, running: () => alive };
}

/** Waits until the instance logged that it processes partitions (it joined and restored). */
export async function waitProcessing(i: Instance, timeoutMs = 60_000): Promise<void> {
  await waitUntil(`${i.name} processing partitions`, () => (/processing \S+ partition/.test(i.stderr()) ? true : !i.running() ? Promise.reject(new Error(`${i.name} exited: ${i.stderr()}`)) : undefined), timeoutMs);
}

/** SIGTERM and wait for the exit; fails when it takes longer than `timeoutMs`. */
export async function stopInstance(i: Instance, timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!i.running()) return i.exited();
  i.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${i.name} did not exit within ${timeoutMs} ms of SIGTERM\n${i.stderr()}`)), timeoutMs);
  });
  try {
    return await Promise.race([i.exited(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function killInstance(i: Instance): Promise<void> {
  if (!i.running()) return;
  i.child.kill('SIGKILL');
  await i.exited();
}
