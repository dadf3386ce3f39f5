import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * A duration in a config file ("30s", "15m") parsed to milliseconds, refused below `minMs` with a
 * message that says what a duration is; `atLeast` names the minimum and `example` shows one.
 */
export function durationSchema(minMs: number, o: { readonly atLeast?: string; readonly example?: string } = {}) {
  const expected = `(an integer then ms, s, m, h or d${o.example === undefined ? '' : `, e.g. ${o.example}`})`;
  return z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined || ms < minMs) {
      ctx.issues.push({ code: 'custom', message: `"${s}" is not a duration${o.atLeast === undefined ? '' : ` of at least ${o.atLeast}`} ${expected}`, input: s });
      return z.NEVER;
    }
    return ms;
  });
}
