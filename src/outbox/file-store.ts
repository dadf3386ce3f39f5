// The default OutboxStore: an append-only JSON-lines file.
//   - Group commit: appends made while a write is in progress are written together, then one
//     fdatasync covers them all; every append's promise resolves after its fsync.
//   - A crash can leave a torn last line: load() drops it and truncates the file back to the last
//     complete line, so the next append does not glue onto garbage.
//   - rewrite() writes a temporary file, fsyncs it, renames it over the log and fsyncs the
//     directory: at every instant the path holds either the old or the new complete log.
//   - A lock file (O_EXCL, with the owner's pid) stops two processes from sharing one outbox;
//     a lock left by a dead process is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AuditwatchError } from '../errors.js';
import { outboxRecordSchema, type OutboxRecord } from './records.js';
import type { LoadResult, OutboxStore } from './store.js';

interface Waiter {
  readonly text: string;
  readonly count: number;
  resolve(): void;
  reject(err: unknown): void;
}

export interface FileStoreOptions {
  /** fdatasync after each group commit (default true). */
  readonly fsync?: boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

export class FileStore implements OutboxStore {
  readonly path: string;
  private readonly lockPath: string;
  private readonly fsync: boolean;
  private fh: FileHandle | undefined;
  private queue: Waiter[] = [];
  private writing: Promise<void> | undefined;
  private appended = 0;
  private locked = false;

  constructor(path: string, options: FileStoreOptions = {}) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
    this.fsync = options.fsync ?? true;
  }

  get description(): string {
    return this.path;
  }

  get appendedSinceRewrite(): number {
    return this.appended;
  }

  private lock(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let tries = 0; tries < 2; tries++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EEXIST') throw this.error('cannot create the outbox lock file', err);
        const owner = Number(readFileSync(this.lockPath, 'utf8').trim());
        if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && pidAlive(owner)) {
          throw new AuditwatchError('USAGE', `outbox ${this.path} is in use by process ${owner} (one outbox file per running auditwatch)`, { file: this.path });
        }
        unlinkSync(this.lockPath); // left by a process that is gone
      }
    }
    throw new AuditwatchError('INPUT_UNREADABLE', `cannot lock outbox ${this.path}`, { file: this.path });
  }

  private error(what: string, cause: unknown): AuditwatchError {
    return new AuditwatchError('INTERNAL', `outbox ${this.path}: ${what}`, { file: this.path }, { cause });
  }

  async load(): Promise<LoadResult> {
    this.lock();
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw this.error('cannot read', err);
    }
    const lastNewline = text.lastIndexOf('\n');
    const tornTail = text.length > 0 && lastNewline !== text.length - 1;
    if (tornTail) await truncate(this.path, Buffer.byteLength(text.slice(0, lastNewline + 1), 'utf8'));
    const records: OutboxRecord[] = [];
    let skipped = 0;
    for (const line of text.slice(0, lastNewline + 1).split('\n')) {
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        skipped++;
        continue;
      }
      const res = outboxRecordSchema.safeParse(value);
      if (res.success) records.push(res.data);
      else skipped++;
    }
    this.fh = await open(this.path, 'a');
    return { records, skipped, tornTail };
  }

  append(records: readonly OutboxRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.fh === undefined) return Promise.reject(new Error('outbox store is not open: call load() first'));
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, count: records.length, resolve, reject });
      if (this.writing === undefined) this.writing = this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const fh = this.fh;
        if (fh === undefined) throw new Error('outbox store is closed');
        await fh.write(batch.map((w) => w.text).join(''));
        if (this.fsync) await fh.datasync();
        for (const w of batch) {
          this.appended += w.count;
          w.resolve();
        }
      } catch (err) {
        const e = this.error('write failed', err);
        for (const w of batch) w.reject(e);
      }
    }
    this.writing = undefined;
  }

  async rewrite(produce: () => readonly OutboxRecord[]): Promise<void> {
    // Appends wait behind the rewrite: park the queue until the new file is in place.
    while (this.writing !== undefined) await this.writing;
    const tmp = `${this.path}.tmp`;
    let release!: () => void;
    this.writing = new Promise<void>((r) => (release = r));
    // Every earlier append is on disk and later ones wait: the state `produce` sees is exactly
    // what the old file said.
    const records = produce();
    try {
      const out = await open(tmp, 'w');
      try {
        let chunk = '';
        for (const r of records) {
          chunk += JSON.stringify(r) + '\n';
          if (chunk.length > 1 << 20) {
            await out.write(chunk);
            chunk = '';
          }
        }
        await out.write(chunk);
        if (this.fsync) await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, this.path);
      if (this.fsync) {
        const dir = await open(dirname(this.path), 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      }
      await this.fh?.close();
      this.fh = await open(this.path, 'a');
      this.appended = 0;
    } catch (err) {
      throw this.error('compaction failed', err);
    } finally {
      this.writing = undefined;
      release();
      if (this.queue.length > 0) this.writing = this.writeLoop();
    }
  }

  async close(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    await this.fh?.close();
    this.fh = undefined;
    if (this.locked) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // already gone
      }
      this.locked = false;
    }
  }
}
