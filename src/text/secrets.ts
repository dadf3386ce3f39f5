// The secret screen: finds credentials and personal data in attacker-controlled text and replaces
// them with `[redacted:<rule-name>]` before the text is rendered anywhere (Slack, PagerDuty,
// webhooks, logs).
//
// Design:
//   - One explicit, ordered rule table (SECRET_RULES). Vendor-specific credential rules come first,
//     then the generic ones (Authorization, Bearer, key=value), then PII.
//   - Every rule runs over the same input; the matched spans are merged (overlapping spans become
//     one span, named after the earliest rule in the table), so overlapping rules can never
//     produce half-redacted or interleaved output.
//   - If a rule has a named group `secret`, only that group is replaced (`api_key=[redacted:…]`
//     keeps the key name visible); otherwise the whole match is.
//   - Linear time: no regex has a quantified group that itself contains a repeating quantifier
//     (checked by a test), and every open-ended body is bounded. Each regex *starts* with its
//     literal prefix (`ghp_`, `://`, `@`, the keyword …) so V8 can skip ahead to candidates;
//     the left boundary is checked by a look-behind placed after the prefix (a leading
//     look-behind would disable that fast scan and costs 20-50x on ordinary text). Where
//     possible the look-behind rejects every character the body accepts, so a start inside a
//     run of token characters is impossible and a run is scanned once; where a body may contain
//     its own `keyword:` (authorization, key=value) the body stops in front of it for the same
//     reason (in front of `keyword:`/`keyword=` only: a token such as
//     [redacted:authorization-header] must not be split).
//     A rule with `keywords` only runs if the lower-cased text contains one of them.
//   - `screen()` re-runs until nothing changes (at most 3 passes; in practice a second pass only
//     happens when the first one redacted something), so screening is idempotent.
//
// Token formats were taken from the vendors' documentation and from the gitleaks rule set
// (github.com/gitleaks/gitleaks, cmd/generate/config/rules/*.go); the source is noted per rule.

export type SecretKind = 'credential' | 'pii';

export interface SecretRule {
  readonly name: string;
  readonly kind: SecretKind;
  /** Global regex; add the `d` flag when it has a named group `secret` (the part to replace). */
  readonly pattern: RegExp;
  /** Lower-case substrings; the rule is skipped unless the lower-cased text contains one. Empty: always run. */
  readonly keywords: readonly string[];
  /** Extra check on a match; the match is ignored when it returns false. */
  readonly validate?: (match: RegExpExecArray) => boolean;
}

export interface ScreenResult {
  readonly text: string;
  /** Number of redactions per rule name. */
  readonly hits: ReadonlyMap<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Helpers used by the validators (exported for tests and for other detectors).

// Scratch counters for shannonEntropy: ASCII in a typed array (the common case), the rest in a Map.
const asciiCounts = new Int32Array(128);

/** Shannon entropy of `s` in bits per character (code point). */
export function shannonEntropy(s: string): number {
  asciiCounts.fill(0);
  let other: Map<number, number> | undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    n++;
    if (c < 128) {
      asciiCounts[c] = (asciiCounts[c] ?? 0) + 1;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = (c - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
        i++;
      }
    }
    (other ??= new Map<number, number>()).set(c, (other.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = asciiCounts[c] ?? 0;
    if (k !== 0) h -= (k / n) * Math.log2(k / n);
  }
  other?.forEach((k) => {
    h -= (k / n) * Math.log2(k / n);
  });
  return h;
}

/** Luhn (mod 10) check over a string of decimal digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes of the major card networks (ISO/IEC 7812 IIN ranges as published by the
 * networks; summary at en.wikipedia.org/wiki/Payment_card_number#Issuer_identification_number_(IIN)).
 * Requiring one keeps epoch-millisecond timestamps (which start with 1) and most ids out.
 */
function plausibleCardPrefix(d: string): boolean {
  const two = Number(d.slice(0, 2));
  const three = Number(d.slice(0, 3));
  const four = Number(d.slice(0, 4));
  switch (d[0]) {
    case '4': // Visa
    case '6': // Discover, UnionPay, Maestro, RuPay
      return true;
    case '5': // Mastercard 51-55, Maestro 50/56-59
      return two >= 50 && two <= 59;
    case '2': // Mastercard 2221-2720, Mir 2200-2204
      return (four >= 2221 && four <= 2720) || (four >= 2200 && four <= 2204);
    case '3': // Amex 34/37, Diners 36/38/39/300-305, JCB 3528-3589
      return two === 34 || two === 37 || two === 36 || two === 38 || two === 39 || (three >= 300 && three <= 305) || (four >= 3528 && four <= 3589);
    default:
      return false;
  }
}

// Values that are obviously not a secret: masks, template/env references, literals.
const PLACEHOLDER =
  /^(?:\*+|x+|\.{3,}|\u2026|null|nil|none|undefined|true|false|redacted|masked|hidden|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%[A-Za-z_]+%?)$/i;

function isPlaceholder(v: string): boolean {
  return PLACEHOLDER.test(v.trim());
}

function charClasses(v: string): { lower: boolean; upper: boolean; digit: boolean } {
  return { lower: /[a-z]/.test(v), upper: /[A-Z]/.test(v), digit: /\d/.test(v) };
}

/** Random-looking token: digits and some entropy, or long and high-entropy. */
function looksLikeToken(v: string): boolean {
  if (v.length < 8 || isPlaceholder(v)) return false;
  const h = shannonEntropy(v);
  return (/\d/.test(v) && h >= 2.5) || (v.length >= 24 && h >= 3.5);
}

function secretGroup(m: RegExpExecArray): string {
  return m.groups?.['secret'] ?? m[0];
}

function validGenericAssignment(m: RegExpExecArray): boolean {
  const name = (m.groups?.['name'] ?? '').toLowerCase();
  const value = secretGroup(m);
  if (name.startsWith('pass') || name === 'pwd') {
    // Passwords: any non-trivial value.
    return value.length >= 6 && !isPlaceholder(value) && shannonEntropy(value) >= 2.0;
  }
  if (value.length < 16) return false;
  const c = charClasses(value);
  return (c.digit || (c.upper && c.lower)) && !isPlaceholder(value) && shannonEntropy(value) >= 3.0;
}

function validBasicCredentials(m: RegExpExecArray): boolean {
  const decoded = Buffer.from(secretGroup(m), 'base64').toString('utf8');
  // user:password, printable, and the decoding is not lossy garbage.
  return /^[\x20-\x7E\u00A0-\uFFFC]*:[\x20-\x7E\u00A0-\uFFFC]*$/.test(decoded) && decoded.length >= 3;
}

function validCard(m: RegExpExecArray): boolean {
  const digits = m[0].replace(/\D/g, '');
  if (!plausibleCardPrefix(digits) || /^(\d)\1+$/.test(digits)) return false; // 0000… passes Luhn
  // The candidate may run on into another number ("4111 1111 1111 1111 2"): accept it if the
  // digits up to a separator form a 13-19 digit card number (the whole run is redacted). Only at
  // separators: an unseparated number is judged whole, so "4111111111111112" stays.
  let count = 0;
  const ends: number[] = [];
  for (const ch of m[0]) {
    if (ch === ' ' || ch === '-') ends.push(count);
    else count++;
  }
  ends.push(count);
  return ends.some((n) => n >= 13 && n <= 19 && luhnValid(digits.slice(0, n)));
}

const DATE_LIKE = /^\+?(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:$|\D)/;

/** Whether the first `k` digit groups (sizes, first group's text) form a phone number. */
function phoneShape(sizes: readonly number[], k: number, first: string, plus: boolean): boolean {
  let digits = 0;
  for (let i = 0; i < k; i++) digits += sizes[i] ?? 0;
  // E.164: country code + subscriber number, at most 15 digits; the "+" makes it unambiguous.
  if (plus) return digits >= 8 && digits <= 15;
  const [a, b, c, d] = sizes;
  // North American Numbering Plan: (555) 123-4567, 555.123.4567, 1-555-123-4567.
  if (k === 3 && a === 3 && b === 3 && c === 4) return true;
  if (k === 4 && first === '1' && b === 3 && c === 3 && d === 4) return true;
  // Numbers written with a national trunk prefix: 020 7946 0958, 030 12345678, 01 23 45 67 89.
  if (first.startsWith('0') && k >= 2 && digits >= 9 && digits <= 12) {
    for (let i = 0; i < k; i++) {
      const n = sizes[i] ?? 0;
      if (n < 2 || n > 8) return false;
    }
    return true;
  }
  return false;
}

function validPhone(m: RegExpExecArray): boolean {
  const c = m[0];
  // Start offsets and sizes of the first (up to 6) digit groups, without allocating per character.
  const starts: number[] = [];
  const sizes: number[] = [];
  let runStart = -1;
  for (let i = 0; i <= c.length && sizes.length < 6; i++) {
    const code = i < c.length ? c.charCodeAt(i) : -1;
    if (code >= 48 && code <= 57) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      starts.push(runStart);
      sizes.push(i - runStart);
      runStart = -1;
    }
  }
  if (DATE_LIKE.test(c)) return false;
  const plus = c.startsWith('+');
  // A run of grouped digits is only tried from its start, so look for a phone number in any
  // window of its groups ("42 555-123-4567", "+44 7911 123456 4111 …"); the whole run is redacted.
  for (let from = 0; from < sizes.length; from++) {
    const first = c.slice(starts[from] ?? 0, (starts[from] ?? 0) + (sizes[from] ?? 0));
    const window = sizes.slice(from);
    for (let k = window.length; k >= 1; k--) {
      if (phoneShape(window, k, first, plus && from === 0)) return true;
    }
  }
  return false;
}

function validEmail(m: RegExpExecArray): boolean {
  const domain = m[0].slice(m[0].lastIndexOf('@') + 1);
  if (/^\d+x\./i.test(domain)) return false; // icon@2x.png
  // Not the "user:password@host" part of a URL (that is url-userinfo's job, and the host should stay).
  const before = m.input.slice(Math.max(0, m.index - 256), m.index);
  const scheme = before.lastIndexOf('://');
  return scheme === -1 || /[\s/?#]/.test(before.slice(scheme + 3));
}

function validSlackToken(m: RegExpExecArray): boolean {
  return /\d{4}/.test(m[0]) && shannonEntropy(m[0]) >= 3.0;
}

// ---------------------------------------------------------------------------------------------
// The rule table. Order matters: when spans overlap, the earliest rule names the redaction.

// Words that make `name = value` a secret assignment. A value stops in front of another
// `word:`/`word=` (a nested assignment is its own candidate), which also keeps floods such as
// "PWD:PWD:PWD:…" from making every candidate scan 256 characters.
const SECRET_WORDS = 'secret|token|passwd|password|pwd|pass|key|credentials?|auth';

// Separators of `name = value` style assignments (env, YAML, JSON, Go, shell).
const ASSIGN = String.raw`\\?["']?[ \t]{0,8}(?::=|=>|[:=])[ \t]{0,8}\\?["'\x60]?`;

export const SECRET_RULES = [
  {
    // GCP service-account JSON key file, "private_key" member (developers.google.com/identity/protocols/oauth2/service-account#creatingkey; gitleaks gcp-service-account-key)
    name: 'gcp-service-account-key',
    kind: 'credential',
    pattern: new RegExp(
      String.raw`"private_key"[ \t]{0,8}:[ \t]{0,8}"(?<secret>-----BEGIN[A-Z ]{0,40}PRIVATE KEY-----(?:\\[nr]|[A-Za-z0-9+/= \t\r\n])*(?:-----END[A-Z ]{0,40}PRIVATE KEY-----(?:\\n)?)?)`,
      'dg',
    ),
    keywords: ['"private_key"'],
  },
  {
    // PEM private keys, RFC 7468 labels (RSA/EC/DSA/OPENSSH/ENCRYPTED/PGP … PRIVATE KEY), also truncated without END (gitleaks private-key)
    name: 'pem-private-key',
    kind: 'credential',
    pattern:
      /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----))*(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/g,
    keywords: ['private key'],
  },
  {
    // AWS access key ids: AKIA (long-term), ASIA (STS), ABIA, ACCA, A3T… (docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids; gitleaks aws-access-token)
    name: 'aws-access-key-id',
    kind: 'credential',
    pattern: /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)(?<![A-Za-z0-9][\s\S]{4})[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'],
  },
  {
    // AWS secret access key: 40 base64 characters, only when assigned to aws_secret_access_key / SecretAccessKey (docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html; gitleaks aws-secret-access-key)
    name: 'aws-secret-access-key',
    kind: 'credential',
    pattern: new RegExp(
      String.raw`(?:aws[_.-]?secret[_.-]?(?:access[_.-]?)?key|secret[_.-]?access[_.-]?key)${ASSIGN}(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'dgi',
    ),
    keywords: ['secret'],
  },
  {
    // Google API keys: "AIza" + 35 characters of [0-9A-Za-z_-] (cloud.google.com/docs/authentication/api-keys; gitleaks gcp-api-key)
    name: 'gcp-api-key',
    kind: 'credential',
    pattern: /AIza(?<![A-Za-z0-9_-][\s\S]{4})[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    keywords: ['aiza'],
  },
  {
    // Azure storage / Service Bus / Event Hubs connection strings: AccountKey=…, SharedAccessKey=… (learn.microsoft.com/azure/storage/common/storage-configure-connection-string)
    name: 'azure-connection-string-key',
    kind: 'credential',
    pattern: /(?:AccountKey|SharedAccessKey)[ \t]*=[ \t]*(?<secret>[A-Za-z0-9+/]{20,200}={0,2})/dgi,
    keywords: ['accountkey', 'sharedaccesskey'],
  },
  {
    // Azure shared access signature `sig=` parameter (learn.microsoft.com/rest/api/storageservices/create-service-sas#specify-the-signature)
    name: 'azure-sas-signature',
    kind: 'credential',
    pattern: /[?&;]sig=(?<secret>[A-Za-z0-9%+/]{20,300}={0,2})/dgi,
    keywords: ['sig='],
  },
  {
    // GitHub tokens ghp_ (classic PAT), gho_ (OAuth), ghu_/ghs_ (GitHub App), ghr_ (refresh): prefix + 36 alphanumerics (github.blog/2021-04-05-behind-githubs-new-authentication-token-formats; gitleaks github-pat/-oauth/-app-token/-refresh-token)
    name: 'github-token',
    kind: 'credential',
    pattern: /gh[pousr]_(?<![A-Za-z0-9_][\s\S]{4})[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])/g,
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
  },
  {
    // GitHub fine-grained PAT: github_pat_ + 82 word characters (docs.github.com/code-security/secret-scanning/introduction/supported-secret-scanning-patterns; gitleaks github-fine-grained-pat)
    name: 'github-fine-grained-pat',
    kind: 'credential',
    pattern: /github_pat_(?<![A-Za-z0-9_][\s\S]{11})[A-Za-z0-9_]{82,244}(?![A-Za-z0-9_])/g,
    keywords: ['github_pat_'],
  },
  {
    // GitLab tokens: glpat- (PAT, also routable "glpat-….xx"), gldt-, glrt-, glptt-, glcbt-, glft-, glimt-, glagent-, gloas-, glsoat-, glffct-, GR1348941 (docs.gitlab.com/ee/security/tokens/#token-prefixes; gitleaks gitlab.go)
    name: 'gitlab-token',
    kind: 'credential',
    pattern:
      /(?:gl(?:pat|dt|rt|ptt|cbt|ft|imt|agent|oas|soat|ffct)-(?<![A-Za-z0-9_.-]gl[a-z]{2,5}-)[A-Za-z0-9_.-]{20,300}|GR1348941(?<![A-Za-z0-9_-][\s\S]{9})[A-Za-z0-9_-]{20,64})/g,
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'glft-', 'glimt-', 'glagent-', 'gloas-', 'glsoat-', 'glffct-', 'gr1348941'],
  },
  {
    // Slack incoming webhooks / workflow triggers: hooks.slack.com/services|workflows|triggers/… (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks; gitleaks slack-webhook-url)
    name: 'slack-webhook-url',
    kind: 'credential',
    pattern: /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{20,300}/gi,
    keywords: ['hooks.slack.com'],
  },
  {
    // Slack tokens xoxb- (bot), xoxp- (user), xoxa-/xoxr- (workspace access/refresh), xoxs-/xoxo- (legacy), xoxe- and xoxe.xoxp- (config), xapp- (app-level) (docs.slack.dev/authentication/tokens; gitleaks slack.go)
    name: 'slack-token',
    kind: 'credential',
    pattern: /x(?:ox(?:e\.xox)?[abeoprs]|app)-(?<![A-Za-z0-9-]x(?:ox(?:e\.xox)?[abeoprs]|app)-)[A-Za-z0-9-]{10,400}/g,
    keywords: ['xox', 'xapp-'],
    validate: validSlackToken,
  },
  {
    // Stripe secret and restricted keys sk_live_, sk_test_, rk_live_, rk_test_ (docs.stripe.com/keys; gitleaks stripe-access-token). Publishable pk_ keys are public by design.
    name: 'stripe-key',
    kind: 'credential',
    pattern: /[sr]k_(?:live|test)_(?<![A-Za-z0-9_][\s\S]{8})[A-Za-z0-9]{10,247}(?![A-Za-z0-9])/g,
    keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  },
  {
    // Stripe webhook signing secrets whsec_… (docs.stripe.com/webhooks#verify-official-libraries)
    name: 'stripe-webhook-secret',
    kind: 'credential',
    pattern: /whsec_(?<![A-Za-z0-9_][\s\S]{6})[A-Za-z0-9+/=]{24,128}/g,
    keywords: ['whsec_'],
  },
  {
    // Anthropic keys sk-ant-api03-…, sk-ant-admin01-…, OAuth sk-ant-oat01-/sk-ant-ort01- (gitleaks anthropic.go: anthropic-api-key, -admin-api-key, -oauth-token)
    name: 'anthropic-api-key',
    kind: 'credential',
    pattern: /sk-ant-(?<![A-Za-z0-9_-][\s\S]{7})(?:api|admin|oat|ort)\d{2}-[A-Za-z0-9_-]{20,400}/g,
    keywords: ['sk-ant-'],
  },
  {
    // OpenAI keys sk-proj-…, sk-svcacct-…, sk-admin-…, sk-None-… and legacy sk-<48 alnum> (T3BlbkFJ marker) (platform.openai.com/docs/api-reference/authentication; gitleaks openai-api-key)
    name: 'openai-api-key',
    kind: 'credential',
    pattern: /sk-(?<![A-Za-z0-9_-][\s\S]{3})(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,400}|[A-Za-z0-9]{32,64}(?![A-Za-z0-9_-]))/g,
    keywords: ['sk-'],
  },
  {
    // JSON Web Tokens: base64url(JSON header "{" = eyJ).base64url(payload "eyJ").signature (RFC 7519 §3; gitleaks jwt)
    name: 'jwt',
    kind: 'credential',
    pattern: /eyJ(?<![A-Za-z0-9_-][\s\S]{3})[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{0,4096}/g,
    keywords: ['eyj'],
  },
  {
    // PagerDuty Events API routing/integration keys (32 characters), only when labelled routing_key / integration_key / service_key / X-Routing-Key (developer.pagerduty.com/docs/events-api-v2/trigger-events)
    name: 'pagerduty-integration-key',
    kind: 'credential',
    pattern: new RegExp(
      String.raw`(?:routing|integration|service)[_.-]?key${ASSIGN}(?<secret>[A-Za-z0-9]{32})(?![A-Za-z0-9])`,
      'dgi',
    ),
    keywords: ['routing', 'integration', 'service'],
  },
  {
    // Passwords in URL userinfo scheme://user:password@host (RFC 3986 §3.2.1: "Use of the format user:password in the userinfo field is deprecated")
    name: 'url-userinfo',
    kind: 'credential',
    // (the password may contain an unencoded '@': parsers split at the last '@' before the host, so do we)
    pattern: /:\/\/(?<=[A-Za-z0-9]:\/\/)[^\s/?#@:"'<>]{0,256}:(?<secret>[^\s/?#"'<>]{1,256})@/dg,
    keywords: ['://'],
  },
  {
    // HTTP Authorization / Proxy-Authorization header values (RFC 9110 §11.6.2; gitleaks curl-auth-header). The scheme name stays visible.
    name: 'authorization-header',
    kind: 'credential',
    pattern: new RegExp(
      String.raw`authorization${ASSIGN}(?:(?:basic|bearer|token|digest|negotiate|ntlm|hoba|mutual|vapid|dpop|aws4-hmac-sha256|sso-key|apikey|api-key|key)[ \t]+)?(?<secret>(?:(?!authorization["']?[ \t]?[:=])[^\r\n"'\x60\\]){4,1024})`,
      'dgi',
    ),
    keywords: ['authorization'],
    validate: (m: RegExpExecArray): boolean => !isPlaceholder(secretGroup(m)),
  },
  {
    // OAuth 2.0 bearer tokens "Bearer <b64token>" (RFC 6750 §2.1)
    name: 'bearer-token',
    kind: 'credential',
    pattern: /bearer(?<![A-Za-z0-9_-][\s\S]{6})[ \t]+(?<secret>[A-Za-z0-9._~+/-]{8,4096}=*)/dgi,
    keywords: ['bearer'],
    validate: (m: RegExpExecArray): boolean => looksLikeToken(secretGroup(m)),
  },
  {
    // HTTP Basic credentials "Basic base64(user:password)" (RFC 7617 §2); validated by decoding
    name: 'basic-auth',
    kind: 'credential',
    pattern: /basic(?<![A-Za-z0-9_-][\s\S]{5})[ \t]+(?<secret>[A-Za-z0-9+/]{6,4096}={0,2})(?![A-Za-z0-9+/=])/dgi,
    keywords: ['basic'],
    validate: validBasicCredentials,
  },
  {
    // Generic key=/token=/secret=/password=/api_key:/"apiKey": "…" assignments with a long, high-entropy value (gitleaks generic-api-key idea; entropy threshold ours)
    name: 'generic-secret-assignment',
    kind: 'credential',
    pattern: new RegExp(
      String.raw`(?<name>${SECRET_WORDS})(?![a-z])${ASSIGN}(?<secret>(?:(?!(?:${SECRET_WORDS})[:=])[^\s"'\x60,;&<>\[\](){}|\\=]){1,256}={0,3})`,
      'dgi',
    ),
    keywords: ['secret', 'token', 'passwd', 'password', 'pwd', 'pass', 'key', 'credential', 'auth'],
    validate: validGenericAssignment,
  },
  {
    // E-mail addresses: dot-atom local part @ domain with an alphabetic TLD (RFC 5322 §3.4.1, simplified)
    name: 'email',
    kind: 'pii',
    pattern: /@(?<=(?<![A-Za-z0-9._%+-])(?<before>[A-Za-z0-9._%+-]{1,64})@)[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?<=\.[A-Za-z]{2,24})(?![A-Za-z0-9-])/dg,
    keywords: ['@'],
    validate: validEmail,
  },
  {
    // Payment card numbers: 13-19 digits, optional space/dash separators, known IIN prefix, Luhn check (ISO/IEC 7812-1)
    name: 'payment-card',
    kind: 'pii',
    // (may start right after "digit + separator": "qty 2 4111 1111 1111 1111" must still match)
    pattern: /\d(?<!\d\d)(?:[ -]?\d){12,18}(?![ -]?\d)/g,
    keywords: [],
    validate: validCard,
  },
  {
    // Phone numbers: E.164 "+<cc><number>" (ITU-T E.164, max 15 digits) or national formats with separators (NANP, trunk prefix 0)
    name: 'phone-number',
    kind: 'pii',
    // (a national number does not start right after "digit + separator": a run of grouped digits is tried once, from its start)
    pattern: /(?:\+(?<![\w+.-]\+)\(?\d|\((?<![\w+.-]\(|\d[ ().-]{1,2}\()\d|\d(?<![\w+.-]\d|\d[ ().-]{1,2}\d))[\d ().-]{5,24}\d(?![\w-])/g,
    keywords: [],
    validate: validPhone,
  },
] as const satisfies readonly SecretRule[];

export type SecretRuleName = (typeof SECRET_RULES)[number]['name'];

// ---------------------------------------------------------------------------------------------
// Engine

const MAX_PASSES = 3;
const TOKEN_ONLY = /^\[redacted:[a-z0-9-]+\]$/;

export function redactionToken(name: string): string {
  return `[redacted:${name}]`;
}

interface Span {
  start: number;
  end: number;
  rank: number; // index of the rule in SECRET_RULES
}

function ruleApplies(rule: SecretRule, lower: string): boolean {
  return rule.keywords.length === 0 || rule.keywords.some((k) => lower.includes(k));
}

/**
 * Runs one rule over `text` and calls `onMatch` with the span to redact for every accepted match;
 * stops early when `onMatch` returns true.
 */
function scan(rule: SecretRule, text: string, onMatch: (start: number, end: number) => boolean): void {
  const re = rule.pattern;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex = m.index + 1;
      continue;
    }
    const groups = m.indices?.groups;
    const range = groups?.['secret'];
    const [matchStart, end] = range ?? [m.index, m.index + m[0].length];
    // A group `before` captured in a look-behind extends the span to the left (see the email rule).
    const before = groups?.['before'];
    const start = range === undefined && before !== undefined ? Math.min(matchStart, before[0]) : matchStart;
    const accepted = (rule.validate === undefined || rule.validate(m)) && !TOKEN_ONLY.test(text.slice(start, end));
    // Whatever the outcome, go on from the next character rather than from the end of the match:
    // a rejected candidate may hide a real one, and an accepted one may overlap the next (in
    // "password= password=hunter22" the first value is the second keyword). Overlapping spans are
    // merged later; starts inside a token are ruled out by each pattern's look-behinds.
    re.lastIndex = m.index + 1;
    if (accepted && onMatch(start, end)) break;
  }
  re.lastIndex = 0;
}

/**
 * The spans one rule would redact in `text` (after validation), ignoring all other rules. For
 * tests and tooling; `screen()` is what callers want.
 */
export function findMatches(rule: SecretRule, text: string): { start: number; end: number; text: string }[] {
  const found: { start: number; end: number; text: string }[] = [];
  if (!ruleApplies(rule, text.toLowerCase())) return found;
  scan(rule, text, (start, end) => {
    found.push({ start, end, text: text.slice(start, end) });
    return false;
  });
  return found;
}

function collectSpans(text: string): Span[] {
  const lower = text.toLowerCase();
  const spans: Span[] = [];
  SECRET_RULES.forEach((rule: SecretRule, rank) => {
    if (!ruleApplies(rule, lower)) return;
    scan(rule, text, (start, end) => {
      spans.push({ start, end, rank });
      return false;
    });
  });
  return spans;
}

function screenOnce(text: string, hits: Map<string, number>): string {
  const spans = collectSpans(text);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);

  // Merge overlapping spans; a merged span is named after its earliest rule.
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      last.rank = Math.min(last.rank, s.rank);
    } else {
      merged.push({ ...s });
    }
  }

  let out = '';
  let pos = 0;
  for (const s of merged) {
    const name = SECRET_RULES[s.rank]?.name ?? 'secret';
    out += text.slice(pos, s.start) + redactionToken(name);
    pos = s.end;
    hits.set(name, (hits.get(name) ?? 0) + 1);
  }
  return out + text.slice(pos);
}

/**
 * Replaces every credential and piece of personal data in `text` with `[redacted:<rule-name>]`.
 * Idempotent: `screen(screen(x).text).text === screen(x).text`.
 */
export function screen(text: string): ScreenResult {
  const hits = new Map<string, number>();
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const passHits = new Map<string, number>();
    const next = screenOnce(current, passHits);
    if (next === current) break;
    for (const [k, v] of passHits) hits.set(k, (hits.get(k) ?? 0) + v);
    current = next;
  }
  return { text: current, hits };
}

/**
 * Name of the first credential rule (in table order) that matches `text`, or undefined. Used to
 * flag events that carry an unscrubbed credential; personal data does not count.
 */
export function containsCredential(text: string): SecretRuleName | undefined {
  const lower = text.toLowerCase();
  for (const rule of SECRET_RULES) {
    if (rule.kind !== 'credential' || !ruleApplies(rule, lower)) continue;
    let found = false;
    scan(rule, text, () => {
      found = true;
      return true;
    });
    if (found) return rule.name;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Deep screening for log records and other JSON-like values.

/** The name `screenDeep` redacts a value under a sensitive field name by (it is not a pattern rule). */
export const SENSITIVE_FIELD_RULE = 'sensitive-field';
const SENSITIVE_FIELD = SENSITIVE_FIELD_RULE;
const MAX_DEPTH = 32;

/**
 * Every name a redaction can carry (`[redacted:<name>]`, the keys of `ScreenResult.hits` and of
 * `screenDeep`'s counts): the rule table, then the sensitive-field rule. A closed list, so the
 * names can label a metric.
 */
export const REDACTION_RULE_NAMES: readonly string[] = Object.freeze([...SECRET_RULES.map((r) => r.name), SENSITIVE_FIELD_RULE]);

/** Redactions per rule name, added to by the deep screen when the caller wants them counted. */
export type RedactionCounts = Map<string, number>;

function screenCounted(text: string, hits: RedactionCounts | undefined): string {
  const r = screen(text);
  if (hits !== undefined) for (const [rule, n] of r.hits) hits.set(rule, (hits.get(rule) ?? 0) + n);
  return r.text;
}

// A field whose name ends in one of these words carries a secret whatever its value looks like
// (`{"password": "hunter2"}` has no pattern to match). camelCase and kebab-case are normalised to
// snake_case first, so `apiKey`, `api-key` and `API_KEY` all match, and `tokenCount` does not.
const SENSITIVE_KEY =
  /(?:^|_)(?:password|passwd|pwd|passphrase|secret|token|api_?key|access_?key|secret_?key|private_?key|client_?secret|authorization|credentials?|cookie|set_cookie|session_?id|webhook_?url|routing_?key|integration_?key|service_?key)$/;

function isSensitiveKey(key: string): boolean {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-. ]/g, '_')
    .toLowerCase();
  return SENSITIVE_KEY.test(snake);
}

function screenValue(value: unknown, depth: number, seen: WeakSet<object>, hits: RedactionCounts | undefined): unknown {
  if (typeof value === 'string') return screenCounted(value, hits);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? `[${typeof value}]` : value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[depth-limit]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v: unknown) => screenValue(v, depth + 1, seen, hits));
    if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
    if (value instanceof Date) return value;
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: screenCounted(value.name, hits), message: screenCounted(value.message, hits) };
      if (value.stack !== undefined) out['stack'] = screenCounted(value.stack, hits);
      if (value.cause !== undefined) out['cause'] = screenValue(value.cause, depth + 1, seen, hits);
      return out;
    }
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return screenValue(toJSON.call(value), depth + 1, seen, hits);
    if (value instanceof Map) return screenValue(Object.fromEntries(value), depth + 1, seen, hits);
    if (value instanceof Set) return screenValue([...value], depth + 1, seen, hits);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = screenCounted(k, hits);
      const sensitive =
        isSensitiveKey(k) && (typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && v !== ''));
      // (a value that is already a redaction token was counted where it was redacted)
      if (sensitive && hits !== undefined && !(typeof v === 'string' && TOKEN_ONLY.test(v))) hits.set(SENSITIVE_FIELD, (hits.get(SENSITIVE_FIELD) ?? 0) + 1);
      out[key] = sensitive ? redactionToken(SENSITIVE_FIELD) : screenValue(v, depth + 1, seen, hits);
    }
    return out;
  } finally {
    seen.delete(value); // the same object twice side by side is fine; only a cycle is not
  }
}

/**
 * Screens a JSON-like value for logging: every string (object keys too) goes through `screen()`,
 * values under a sensitive field name (`password`, `apiKey`, `authorization`, …) are replaced
 * whole, cycles become "[circular]", nesting deeper than 32 becomes "[depth-limit]". Errors
 * become `{ name, message, stack, cause }`; objects with `toJSON` (e.g. `Secret`) are serialised
 * through it first. Returns a new value; the input is not modified. With `hits`, adds the number
 * of redactions per rule name to it (`sensitive-field` for the whole-value replacements).
 */
export function screenDeep(value: unknown, hits?: RedactionCounts): unknown {
  return screenValue(value, 0, new WeakSet<object>(), hits);
}
