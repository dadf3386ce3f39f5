// CPU time and memory of a process (and, for the JVM services, of every process whose command
// line names their folder), read from /proc: utime + stime of /proc/<pid>/stat in clock ticks,
// VmHWM (peak resident set) and VmRSS of /proc/<pid>/status.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** User + system CPU seconds of the process itself (children that exited are not included). */
  readonly cpuS: number;
  /** Peak resident set size, bytes (VmHWM). */
  readonly peakRssB: number;
  readonly rssB: number;
}

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuS: (utime + stime) / clockTicks(), peakRssB: kb('VmHWM'), rssB: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/** Processes whose command line contains `marker` (e.g. a service's private temp folder). */
export function pidsWithArg(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) out.push(Number(name));
    } catch {
      // gone, or not readable
    }
  }
  return out;
}

/** Sum of CPU seconds, largest peak RSS, over the given processes (a JVM service and its launcher). */
export function sampleMany(pids: readonly number[]): ProcSample | undefined {
  let cpuS = 0;
  let peakRssB = 0;
  let rssB = 0;
  let any = false;
  for (const pid of pids) {
    const s = sampleProcess(pid);
    if (s === undefined) continue;
    any = true;
    cpuS += s.cpuS;
    peakRssB = Math.max(peakRssB, s.peakRssB);
    rssB = Math.max(rssB, s.rssB);
  }
  return any ? { cpuS, peakRssB, rssB } : undefined;
}

/** Samples a process every `everyMs` and keeps the last sample, so the figures survive its exit. */
export class ProcWatch {
  private last: ProcSample | undefined;
  private first: ProcSample | undefined;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly sample: () => ProcSample | undefined, everyMs = 500) {
    this.tick();
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }
  tick(): ProcSample | undefined {
    const s = this.sample();
    if (s !== undefined) {
      this.first ??= s;
      this.last = s;
    }
    return this.last;
  }
  /** Sample now (if the process is still there) and remember it as a mark. */
  mark(): ProcSample | undefined {
    return this.tick();
  }
  latest(): ProcSample | undefined {
    return this.last;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
