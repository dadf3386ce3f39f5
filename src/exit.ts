// How every entry point ends the process once its command has finished (for `run`, after the
// graceful stop): with the command's exit code, even if a library left a socket or a retry
// timer behind. After a broker outage kafkajs can keep such a timer alive, and a stopped
// service must still exit within its shutdown budget. The timer is unref'd, so a process with
// nothing left open exits at once, as it would without it.

/** Grace for handles that are about to close on their own. */
const LINGER_MS = 2000;

export function exitWhenDone(work: Promise<number>, stderr: NodeJS.WritableStream = process.stderr): void {
  const finish = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => {
      const open = [...new Set(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap'))];
      stderr.write(`auditwatch: exiting with handles still open (${open.join(', ')})\n`);
      process.exit(code);
    }, LINGER_MS).unref();
  };
  work.then(finish, (err: unknown) => {
    stderr.write(`auditwatch: ${err instanceof Error ? err.message : String(err)}\n`);
    finish(1);
  });
}
