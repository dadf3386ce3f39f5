// Durations in config files: an integer followed by one unit. Kept strict on purpose: "1.5h" or
// "90 m" are rejected rather than guessed at, because a misread window changes what alerts.
const UNIT_MS = new Map<string, number>([
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

const DURATION_RE = /^(\d{1,12})(ms|s|m|h|d)$/;

export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = UNIT_MS.get(m[2] ?? '');
  if (unit === undefined) return undefined;
  const ms = n * unit;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
