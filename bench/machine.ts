// How busy the whole machine was over an interval, from the first line of /proc/stat (Linux):
// on a small machine that also runs the broker, it tells a slow consumer from a saturated box.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function read(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle ones.
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return Number.isFinite(total) && total > 0 ? { busy: total - idle, total } : undefined;
  } catch {
    return undefined;
  }
}

/** Starts measuring; the function returned gives the busy cores (0..cores) since, or undefined off Linux. */
export function machineBusy(): () => { readonly busyCores: number; readonly cores: number } | undefined {
  const a = read();
  return () => {
    const b = read();
    if (a === undefined || b === undefined || b.total <= a.total) return undefined;
    const cores = cpus().length;
    return { busyCores: ((b.busy - a.busy) / (b.total - a.total)) * cores, cores };
  };
}
