#!/usr/bin/env node
// Node 20's test runner does not pick up .ts files from a folder and does not expand quoted
// globs, so this lists the test files itself and hands them to `node --test` with the tsx loader.
// Usage: node scripts/test.mjs [--unit] [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

let files = walk('test').sort();
if (unitOnly) files = files.filter((f) => !f.startsWith(join('test', 'integration')));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...files],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
