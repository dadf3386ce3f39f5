// A wrapper for configuration secrets (Slack webhook URLs, PagerDuty routing keys, API tokens)
// that cannot be printed by accident, and URL redaction for error messages: fetch/undici errors
// carry the request URL, and a Slack webhook URL *is* the credential.

import { inspect } from 'node:util';

const SHOWN = '<secret>';

/**
 * Holds a secret string. Every way of turning it into text — `String(s)`, `${s}`, `s + ''`,
 * `JSON.stringify`, `util.inspect`/`console.log`, `util.format('%s')` — yields `<secret>`.
 * The value is in a private field, so `Object.keys`, spreading and structured cloning do not
 * copy it either. Only `reveal()` returns it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError('Secret value must be a string');
    this.#value = value;
    Object.freeze(this);
  }

  /** The secret itself. Call it at the point of use (the HTTP request), nowhere else. */
  reveal(): string {
    return this.#value;
  }

  /** Whether `other` holds the same value (compared without an early exit on the first difference). */
  equals(other: Secret): boolean {
    const a = this.#value;
    const b = other.#value;
    let diff = a.length ^ b.length;
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
    return diff === 0;
  }

  /**
   * Replaces every occurrence of the secret (verbatim and percent-encoded) in `text` with
   * `<secret>`, for messages that might echo it (an error that quotes the URL it failed on).
   */
  scrub(text: string): string {
    if (this.#value.length === 0) return text;
    let out = text.split(this.#value).join(SHOWN);
    const encoded = encodeURIComponent(this.#value);
    if (encoded !== this.#value) out = out.split(encoded).join(SHOWN);
    return out;
  }

  toString(): string {
    return SHOWN;
  }

  toJSON(): string {
    return SHOWN;
  }

  [Symbol.toPrimitive](): string {
    return SHOWN;
  }

  [inspect.custom](): string {
    return SHOWN;
  }
}

// ---------------------------------------------------------------------------------------------

const REDACTED = '[redacted]';

// A URL with an explicit scheme; the body stops at whitespace, quotes and angle brackets.
const URL_IN_TEXT = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s"'<>\x60]+/g;
// Punctuation that usually ends the sentence around a URL rather than the URL itself.
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/** Path segments that are plain words (`services`, `enqueue`, `chat.postMessage`) or versions (`v2`). */
function isHarmlessSegment(seg: string): boolean {
  if (seg === '') return true;
  if (/^v\d{1,3}$/i.test(seg)) return true;
  if (seg.length > 24 || !/^[A-Za-z]+(?:[._-][A-Za-z]+)*$/.test(seg)) return false;
  return (seg.match(/[A-Z]/g)?.length ?? 0) <= 2; // mixed-case letter runs look like tokens
}

function redactPath(path: string): string {
  return path
    .split('/')
    .map((seg) => (isHarmlessSegment(seg) ? seg : REDACTED))
    .join('/');
}

function redactOneUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // Not parseable: keep only scheme and host, drop everything after them.
    const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(?:[^/?#@]*@)?([^/?#@]*)/.exec(raw);
    return m === null ? REDACTED : `${m[1] ?? ''}${m[2] ?? ''}${raw.length > (m[0]?.length ?? 0) ? `/${REDACTED}` : ''}`;
  }
  const userinfo = parsed.username !== '' || parsed.password !== '' ? `${REDACTED}@` : '';
  const hasAuthority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw);
  const head = hasAuthority ? `${parsed.protocol}//${userinfo}${parsed.host}` : parsed.protocol;
  const query = parsed.search !== '' ? `?${REDACTED}` : '';
  const fragment = parsed.hash !== '' ? `#${REDACTED}` : '';
  // The parser turns "http://host" into "http://host/"; don't add a path that was not there.
  const hadPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*\//.test(raw);
  const path = hadPath || parsed.pathname !== '/' ? redactPath(parsed.pathname) : '';
  return `${head}${path}${query}${fragment}`;
}

/**
 * Redacts the URLs inside a message (typically an error message): userinfo is replaced, query
 * strings and fragments are dropped, and path segments that are not plain words are replaced by
 * `[redacted]`. Scheme, host and port stay, so the message still says where the request went:
 * "https://hooks.slack.com/services/T0/B0/XYZ" becomes
 * "https://hooks.slack.com/services/[redacted]/[redacted]/[redacted]".
 */
export function redactUrl(message: string): string {
  return message.replace(URL_IN_TEXT, (match) => {
    const trailing = TRAILING_PUNCTUATION.exec(match)?.[0] ?? '';
    const core = match.slice(0, match.length - trailing.length);
    return redactOneUrl(core) + trailing;
  });
}

/**
 * One-line description of an error and its `cause` chain (fetch wraps the interesting error in
 * `cause`), with URLs redacted. Safe to log or to put in an alert about a failed delivery.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(`${current.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : inspect(current, { depth: 1, breakLength: Infinity }));
      break;
    }
  }
  return redactUrl(parts.join(' <- caused by: '));
}
