import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EXIT = fileURLToPath(new URL('../src/exit.ts', import.meta.url));

/** Runs a module that hands `exitWhenDone` a finished command, with `setup` run first. */
function run(setup: string, work: string): { code: number | null; stderr: string } {
  const script = `import { exitWhenDone } from ${JSON.stringify(EXIT)};\n${setup}\nexitWhenDone(${work});\n`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('exitWhenDone', () => {
  it('exits with the command code at once when nothing is left open', () => {
    const r = run('', 'Promise.resolve(3)');
    assert.equal(r.code, 3);
    assert.equal(r.stderr, '');
  });

  it('still exits, with the code, when a library left a timer running, and names what was open', () => {
    const r = run('setInterval(() => {}, 1000);', 'Promise.resolve(0)');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /exiting with handles still open \(.*Timeout.*\)/);
  });

  it('reports a failed command and exits 1', () => {
    const r = run('', "Promise.reject(new Error('boom'))");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^auditwatch: boom\n$/);
  });
});
