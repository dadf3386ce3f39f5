/**
 * Bad input is a value, not an exception. `reason` is machine-readable (metrics label, dead-letter
 * header); `detail` is for people and never echoes the offending value, which may be a secret.
 */
export interface Rejection {
  readonly reason: string;
  readonly detail: string;
}

export function rejection(reason: string, detail: string): Rejection {
  return { reason, detail };
}
