// Block Kit rendering of a notification for a Slack incoming webhook. Every event value is
// bounded, then escaped with src/text/escape.ts (mrkdwn objects are `verbatim`), so no mention,
// link or formatting can be formed from it; links are built only from configured base URLs plus
// the encoded detector id. Limits (docs.slack.dev/reference/block-kit/blocks): header text 150,
// section text 3000, 10 fields of 2000, 50 blocks; the whole message is kept under 12,000
// characters by construction, and checked.
import type { AlertItem, DetectorInfo, GroupBody, Notification } from '../alerts/notification.js';
import { formatDuration } from '../config/duration.js';
import type { LinkConfig } from '../config/sections/alerting.js';
import { bound } from '../text/bound.js';
import { slackLink, slackMrkdwnLiteral, slackPlainText } from '../text/escape.js';
import { countText, formatTime, humanDuration, keyText, POSSIBLE_REPEAT_TEXT, undeliveredText, windowText } from './format.js';
import type { SendContext } from './sink.js';

export type TextObject = { type: 'plain_text'; text: string; emoji: true } | { type: 'mrkdwn'; text: string; verbatim: true };
export type Block =
  | { type: 'header'; text: TextObject & { type: 'plain_text' } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

export interface SlackPayload {
  text: string;
  blocks: Block[];
  unfurl_links: false;
  unfurl_media: false;
}

export interface SlackRenderOptions {
  readonly maxShown: number;
  readonly links?: { readonly datadog?: LinkConfig; readonly kibana?: LinkConfig };
}

/** Upper bound for the serialised message; Slack's own limits are higher, we stay well under. */
export const MESSAGE_BUDGET = 11_000;
const SECTION_MAX = 2_900;

function plain(s: string, max: number): TextObject & { type: 'plain_text' } {
  const text = slackPlainText(bound(s, { max }), { max });
  return { type: 'plain_text', text: text === '' ? '-' : text, emoji: true };
}

/** Untrusted text as a literal in mrkdwn. */
function lit(s: string, max: number): string {
  return slackMrkdwnLiteral(bound(s, { max }), { max: max * 2 });
}

function md(text: string): TextObject {
  return { type: 'mrkdwn', text: text === '' ? '-' : text, verbatim: true };
}

/** A labelled field: our bold label, then the untrusted value as a literal. */
function field(label: string, value: string, max = 300): TextObject {
  return md(`*${label}*\n${lit(value, max)}`);
}

const STATUS = {
  firing: { critical: '🔴 FIRING', warning: '🟠 FIRING', info: '🔵 FIRING' },
  resolved: '✅ RESOLVED',
  reminder: '🔁 STILL FIRING (reminder)',
} as const;

function headline(n: Notification, status: GroupBody['status']): string {
  return status === 'firing' ? STATUS.firing[n.severity] : STATUS[status];
}

function links(detectors: readonly DetectorInfo[], opts: SlackRenderOptions): TextObject[] {
  const out: string[] = [];
  const d = detectors.length === 1 ? detectors[0] : undefined;
  if (d !== undefined) {
    for (const [label, cfg] of [['Datadog', opts.links?.datadog], ['Kibana', opts.links?.kibana]] as const) {
      if (cfg !== undefined) out.push(slackLink(cfg.baseUrl, [`${cfg.idPrefix}${d.id}`], label));
    }
    if (d.runbook !== undefined) out.push(runbookLink(d.runbook));
  }
  return out.length === 0 ? [] : [md(out.join('  ·  '))];
}

/** A runbook URL from a detector file: a link when it is a plain http(s) path, else shown as text. */
function runbookLink(url: string): string {
  try {
    const u = new URL(url);
    if (u.search === '' && u.hash === '' && u.username === '' && u.password === '') {
      const segments = u.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
      if (segments.length > 0) return slackLink(u.origin, segments, 'Runbook');
    }
  } catch {
    // fall through to text
  }
  return `Runbook: ${lit(url, 300)}`;
}

function warnings(ctx: SendContext): Block[] {
  const el: TextObject[] = [];
  if (ctx.possibleRepeat) el.push(md(`:warning: ${lit(POSSIBLE_REPEAT_TEXT, 400)}`));
  if (ctx.undelivered !== undefined) el.push(md(`:warning: ${lit(undeliveredText(ctx.undelivered), 900)}`));
  return el.length === 0 ? [] : [{ type: 'context', elements: el }];
}

function alertLine(a: AlertItem, withDetector: boolean): string {
  const parts = [withDetector ? `${a.detector}: ` : '', keyText(a.key, 80)];
  const count = countText(a);
  if (count !== '') parts.push(` — ${count}`);
  parts.push(a.resolvedAt === undefined ? ` · fired ${formatTime(a.firedAt)}` : ` · fired ${formatTime(a.firedAt)}, resolved ${formatTime(a.resolvedAt)} (after ${humanDuration(a.resolvedAt - a.firedAt)})`);
  return `• ${lit(parts.join(''), 400)}`;
}

/** `*title*` then one line per alert while it fits, then "… and N more". */
function listSection(title: string, items: readonly AlertItem[], total: number, shown: number, withDetector: boolean): Block {
  let text = `*${title}*`;
  let listed = 0;
  for (const a of items.slice(0, shown)) {
    const line = `\n${alertLine(a, withDetector)}`;
    if (text.length + line.length > SECTION_MAX - 60) break;
    text += line;
    listed++;
  }
  if (total > listed) text += `\n… and ${total - listed} more`;
  return { type: 'section', text: md(text) };
}

function singleAlertFields(a: AlertItem): TextObject[] {
  const f = [field('Severity', a.severity), field('Key', keyText(a.key, 200), 600)];
  const count = countText(a);
  if (count !== '' && a.evidence === undefined) f.push(field(a.windowMs === undefined ? 'Streak vs threshold' : 'Count vs threshold', count));
  const w = windowText(a);
  if (w !== undefined) f.push(field('Window', w));
  f.push(field(a.evidence !== undefined ? 'Fired at (first leaking event)' : a.windowMs === undefined ? 'Fired at (last event of the streak)' : 'Fired at (last counted event)', formatTime(a.firedAt)));
  if (a.evidence !== undefined) f.push(field('Evidence', `field ${a.evidence.path} matched ${a.evidence.rule}`));
  if (a.resolvedAt !== undefined) f.push(field('Resolved at', `${formatTime(a.resolvedAt)} (after ${humanDuration(a.resolvedAt - a.firedAt)})`));
  return f;
}

function renderGroup(n: Notification, g: GroupBody, ctx: SendContext, opts: SlackRenderOptions, shown: number, withResolved: boolean): SlackPayload {
  const single = g.firing.total + g.resolved.total === 1 ? (g.firing.top[0] ?? g.resolved.top[0]) : undefined;
  const multiDetector = g.detectors.length !== 1;
  const title = multiDetector ? `${g.detectors.length} detectors` : (g.detectors[0]?.id ?? 'alert');
  const head = headline(n, g.status);
  const blocks: Block[] = [{ type: 'header', text: plain(`${head} · ${title}${g.firing.total > 1 ? ` · ${g.firing.total} alerts` : ''}`, 150) }];
  const description = g.detectors.length === 1 ? g.detectors[0]?.description : undefined;
  if (description !== undefined) blocks.push({ type: 'section', text: md(lit(description, 300)) });

  let fields: TextObject[];
  if (single !== undefined) fields = singleAlertFields(single);
  else {
    const status = [`${g.firing.total} firing`, g.newCount > 0 && g.newCount < g.firing.total ? ` (${g.newCount} new)` : '', g.resolved.total > 0 ? ` · ${g.resolved.total} resolved` : ''].join('');
    fields = [field('Severity', n.severity), field('Alerts', status), field('First fired', formatTime(g.firstFiredAt)), field('Last fired', formatTime(g.lastFiredAt))];
    const first = g.firing.top[0] ?? g.resolved.top[0];
    if (!multiDetector && first?.threshold !== undefined) {
      fields.push(field('Threshold', first.windowMs === undefined ? `more than ${first.threshold} in a row` : `more than ${first.threshold} in ${formatDuration(first.windowMs)}`));
    }
    const grouped = g.labels.filter(([l]) => l !== 'detector');
    if (grouped.length > 0) fields.push(field('Group', keyText(grouped, 200), 600));
  }
  blocks.push({ type: 'section', fields: fields.slice(0, 10) });

  if (single === undefined) {
    if (g.firing.total > 0) {
      const shownNow = Math.min(shown, g.firing.top.length);
      const title2 = g.firing.total > shownNow ? `Firing: top ${shownNow} of ${g.firing.total} by count` : `Firing (${g.firing.total})`;
      blocks.push(listSection(title2, g.firing.top, g.firing.total, shown, multiDetector));
    }
    if (g.resolved.total > 0 && withResolved) {
      blocks.push(listSection(`Resolved since the last message (${g.resolved.total})`, g.resolved.top, g.resolved.total, Math.min(shown, 5), multiDetector));
    }
  }
  const linkEls = links(g.detectors, opts);
  if (linkEls.length > 0) blocks.push({ type: 'context', elements: linkEls });
  blocks.push(...warnings(ctx));
  blocks.push({ type: 'context', elements: [md(lit(`auditwatch · route ${g.route} · ${n.id}`, 200))] });
  const text = `${ctx.possibleRepeat ? '(possible repeat) ' : ''}${head}: ${title}${g.firing.total > 1 ? `, ${g.firing.total} alerts` : ''}`;
  return { text: lit(text, 300), blocks, unfurl_links: false, unfurl_media: false };
}

/** The Slack message for a notification; within MESSAGE_BUDGET characters once serialised. */
export function renderSlack(n: Notification, ctx: SendContext, opts: SlackRenderOptions): SlackPayload {
  const b = n.body;
  if (b.type === 'operator') {
    const blocks: Block[] = [{ type: 'header', text: plain(`⚠️ auditwatch: ${b.title}`, 150) }, { type: 'section', text: md(lit(b.detail, 2000)) }, ...warnings(ctx)];
    return { text: lit(`auditwatch: ${b.title}`, 300), blocks, unfurl_links: false, unfurl_media: false };
  }
  const g: GroupBody =
    b.type === 'group'
      ? b
      : {
          type: 'group',
          status: b.status,
          route: 'alert',
          labels: [],
          detectors: [b.detector],
          firing: b.status === 'firing' ? { total: 1, top: [b.alert] } : { total: 0, top: [] },
          newCount: b.status === 'firing' ? 1 : 0,
          resolved: b.status === 'resolved' ? { total: 1, top: [b.alert] } : { total: 0, top: [] },
          firstFiredAt: b.alert.firedAt,
          lastFiredAt: b.alert.firedAt,
        };
  // Shrink the lists until the message fits; with bounded fields this rarely loops.
  for (let shown = opts.maxShown; ; shown = Math.floor(shown / 2)) {
    const withResolved = shown >= opts.maxShown / 2;
    const p = renderGroup(n, g, ctx, opts, Math.max(shown, 1), withResolved);
    if (JSON.stringify(p).length <= MESSAGE_BUDGET || shown <= 1) return p;
  }
}
