// `auditwatch silence add | list | expire`: edits alerts/silences.yaml in place, keeping its
// comments (YAML document API), and replaces the file atomically so a running auditwatch never
// reads half of it. A running `auditwatch run` reloads the file within a second.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import { silenceState } from '../alerts/silence.js';
import { GROUP_LABELS, type GroupLabel } from '../config/routes.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { silenceSchema, silencesFromYaml, type SilenceDef } from '../config/silences.js';
import { AuditwatchError } from '../errors.js';
import { bound } from '../text/bound.js';
import { writableSilencesFile } from './alerting-config.js';

const HEADER = `# Planned quiet periods, managed by \`auditwatch silence add|list|expire\` (hand edits are fine too).
# A silenced alert is recorded and counted, never sent. See alerts/routes.yaml for the labels.
`;

export interface SilenceAddOptions {
  readonly file: string;
  /** LABEL=VALUE, repeatable; the same label twice means "either value". */
  readonly matchers: readonly string[];
  readonly startsAt?: number;
  readonly endsAt?: number;
  readonly durationMs?: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly now: number;
  readonly stdout: Writable;
}

function usage(message: string): AuditwatchError {
  return new AuditwatchError('USAGE', message);
}

export function parseMatchers(specs: readonly string[]): Map<GroupLabel, string[]> {
  const out = new Map<GroupLabel, string[]>();
  for (const spec of specs) {
    const i = spec.indexOf('=');
    if (i <= 0) throw usage(`--match ${spec}: expected LABEL=VALUE (labels: ${GROUP_LABELS.join(', ')})`);
    const label = spec.slice(0, i);
    if (!(GROUP_LABELS as readonly string[]).includes(label)) throw usage(`--match ${spec}: unknown label "${label}" (labels: ${GROUP_LABELS.join(', ')})`);
    const values = out.get(label as GroupLabel) ?? [];
    values.push(spec.slice(i + 1));
    out.set(label as GroupLabel, values);
  }
  if (out.size === 0) throw usage('a silence needs at least one --match (it would silence everything)');
  return out;
}

function readDoc(file: string): ReturnType<typeof parseDocument> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `${HEADER}silences: []\n`;
  silencesFromYaml(file, text); // refuse to edit a file that is already invalid
  return parseDocument(text);
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function silencesSeq(doc: ReturnType<typeof parseDocument>): YAMLSeq {
  const node = doc.get('silences', true);
  if (isSeq(node)) return node;
  const seq = new YAMLSeq();
  doc.set('silences', seq);
  return seq;
}

export function silenceAdd(o: SilenceAddOptions): SilenceDef {
  const startsAt = o.startsAt ?? o.now;
  const endsAt = o.endsAt ?? (o.durationMs === undefined ? undefined : startsAt + o.durationMs);
  if (endsAt === undefined) throw usage('say how long: --duration 2h or --ends 2026-03-05T12:00:00Z');
  if (o.endsAt !== undefined && o.durationMs !== undefined) throw usage('give --duration or --ends, not both');
  const matchers = Object.fromEntries([...parseMatchers(o.matchers)].map(([l, vs]) => [l, vs.length === 1 ? vs[0] : vs]));
  const raw = {
    id: randomUUID().replace(/-/g, '').slice(0, 8),
    matchers,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    createdBy: o.createdBy,
    comment: o.comment,
  };
  const res = silenceSchema.safeParse(raw);
  if (!res.success) throw usage(`silence: ${res.error.issues.map((i) => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; ')}`);
  const doc = readDoc(o.file);
  silencesSeq(doc).add(doc.createNode(raw));
  const text = doc.toString();
  const all = silencesFromYaml(o.file, text);
  writeAtomically(o.file, text);
  const added = all.find((s) => s.id === raw.id);
  if (added === undefined) throw new AuditwatchError('INTERNAL', 'silence was not written');
  o.stdout.write(`silence ${added.id} added to ${o.file}: ${describe(added)}, ${formatTime(added.startsAt)} → ${formatTime(added.endsAt)}\n`);
  return added;
}

export function silenceExpire(o: { file: string; id: string; now: number; stdout: Writable }): void {
  const doc = readDoc(o.file);
  const seq = silencesSeq(doc);
  const index = seq.items.findIndex((item) => isMap(item) && String(item.get('id')) === o.id);
  const item = seq.items[index];
  if (index < 0 || !isMap(item)) throw usage(`no silence with id ${o.id} in ${o.file}`);
  const s = silencesFromYaml(o.file, doc.toString()).find((x) => x.id === o.id);
  if (s === undefined) throw usage(`no silence with id ${o.id} in ${o.file}`);
  const state = silenceState(s, o.now);
  if (state === 'expired') {
    o.stdout.write(`silence ${o.id} had already expired at ${formatTime(s.endsAt)}\n`);
    return;
  }
  // A silence that never started is removed; an active one ends now (kept as a record).
  if (state === 'pending') seq.delete(index);
  else item.set('endsAt', new Date(o.now).toISOString());
  writeAtomically(o.file, doc.toString());
  o.stdout.write(`silence ${o.id} ${state === 'pending' ? 'removed (it had not started)' : 'expired'}\n`);
}

export function silenceList(o: { file: string; all: boolean; now: number; stdout: Writable }): void {
  const text = existsSync(o.file) ? readFileSync(o.file, 'utf8') : 'silences: []\n';
  const list = silencesFromYaml(o.file, text).filter((s) => o.all || silenceState(s, o.now) !== 'expired');
  if (list.length === 0) {
    o.stdout.write(`no ${o.all ? '' : 'active or pending '}silences in ${o.file}\n`);
    return;
  }
  for (const s of list) {
    o.stdout.write(
      `${s.id}  ${silenceState(s, o.now).padEnd(7)}  ${formatTime(s.startsAt)} → ${formatTime(s.endsAt)}  ${describe(s)}  by ${bound(s.createdBy, { max: 60 })}: ${bound(s.comment, { max: 200 })}\n`,
    );
  }
}

function describe(s: SilenceDef): string {
  return [...s.matchers].map(([l, vs]) => `${l}=${[...vs].map((v) => bound(v, { max: 80 })).join('|')}`).join(' ');
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

/** The silences file the CLI edits: --file, else alerting.silences / the alerts dir of auditwatch.yaml, else ./alerts/silences.yaml. */
export function silencesFileFor(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const { config } = loadRuntimeConfig(undefined, env);
  return writableSilencesFile(explicit ?? config.alerting?.silences, config.alerts);
}
