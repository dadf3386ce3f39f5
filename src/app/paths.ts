import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The installed package's root (works from src/ under a loader and from dist/src compiled). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'detectors'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the auditwatch package root');
    dir = up;
  }
  root = dir;
  return dir;
}

/** A folder given by the user, or ./<name> when present, or the one shipped with the package. */
export function configDir(given: string | undefined, name: string): string {
  if (given !== undefined) return resolve(given);
  const local = resolve(name);
  return existsSync(local) ? local : join(packageRoot(), name);
}

export function bundledSample(): string {
  return join(packageRoot(), 'samples', 'mcp-audit-sample.jsonl');
}
