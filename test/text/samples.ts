// Shared samples for the src/text tests and the measurement script.
//
// Fake secrets are generated from a seeded PRNG rather than written out, so the repository holds
// no token-shaped literals for secret scanners (GitHub push protection, gitleaks) to trip over.
// The values have the right shape and are otherwise random; none of them is a real credential.
import { SECRET_RULES, type SecretRule, type SecretRuleName } from '../../src/text/secrets.js';
import { mulberry32 } from '../../src/random.js';

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const DIGITS = '0123456789';
export const HEX = '0123456789abcdef';
export const B64 = `${ALNUM}+/`;
export const B64URL = `${ALNUM}-_`;

let counter = 1;
/** `n` random characters from `alphabet`; deterministic across runs (a fresh seed per call). */
export function rand(n: number, alphabet: string = ALNUM): string {
  const next = mulberry32(0x5eed + counter++ * 7919);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)] ?? 'x';
  return s;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const jwtPart = (o: object): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

export function fakeJwt(): string {
  return `${jwtPart({ alg: 'HS256', typ: 'JWT' })}.${jwtPart({ sub: rand(10, DIGITS), name: 'x', iat: 1700000000 })}.${rand(43, B64URL)}`;
}

export function fakePemBody(lines = 6): string {
  const out: string[] = [`MIIE${rand(60, B64)}`];
  for (let i = 1; i < lines; i++) out.push(rand(64, B64));
  return out.join('\n');
}

export interface Positive {
  readonly text: string;
  /** The part that must not survive screening. */
  readonly secret: string;
}

export interface RuleSamples {
  readonly positives: readonly Positive[];
  /** Near misses: this rule must not match them. */
  readonly negatives: readonly string[];
}

function p(template: (secret: string) => string, secret: string): Positive {
  return { text: template(secret), secret };
}

const pemBody = fakePemBody();
const gcpPem = `-----BEGIN PRIVATE KEY-----\\n${fakePemBody(4).replace(/\n/g, '\\n')}\\n-----END PRIVATE KEY-----\\n`;

export const RULE_SAMPLES = {
  'gcp-service-account-key': {
    positives: [
      p((s) => `{"type": "service_account", "project_id": "demo", "private_key": "${s}", "client_id": "1"}`, gcpPem),
      p((s) => `{"private_key":"${s}","type":"service_account"}`, gcpPem),
    ],
    negatives: ['{"private_key": ""}', '{"private_key_id": "0123456789abcdef0123456789abcdef01234567"}', '"private_key": "see vault"'],
  },
  'pem-private-key': {
    positives: [
      p((s) => `key:\n-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----\nnext line`, pemBody),
      p((s) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${s}\n-----END OPENSSH PRIVATE KEY-----`, pemBody),
      p((s) => `-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${rand(32, HEX)}\n\n${s}\n-----END EC PRIVATE KEY-----`, pemBody),
      p((s) => `truncated dump: -----BEGIN PRIVATE KEY-----\n${s}`, pemBody),
    ],
    negatives: [`-----BEGIN PUBLIC KEY-----\n${fakePemBody(2)}\n-----END PUBLIC KEY-----`, `-----BEGIN CERTIFICATE-----\n${fakePemBody(2)}\n-----END CERTIFICATE-----`, 'the private key is in vault'],
  },
  'aws-access-key-id': {
    positives: [
      p((s) => `aws_access_key_id = ${s}`, `AKIA${rand(16, UPPER_B32)}`),
      p((s) => `"AccessKeyId": "${s}"`, `ASIA${rand(16, UPPER_B32)}`),
    ],
    negatives: [`AKIA${rand(15, UPPER_B32)}`, `akia${rand(16, UPPER_B32).toLowerCase()}`, `XAKIA${rand(16, UPPER_B32)}`, 'TODAYINASIAASACKOFRICEFELLOVER'],
  },
  'aws-secret-access-key': {
    positives: [
      p((s) => `aws_secret_access_key = ${s}`, rand(40, B64)),
      p((s) => `"SecretAccessKey": "${s}"`, rand(40, B64)),
      p((s) => `AWS_SECRET_ACCESS_KEY=${s}`, rand(40, B64)),
    ],
    negatives: [`aws_secret_access_key = ${rand(41, ALNUM)}`, `aws_secret_access_key = ${rand(39, ALNUM)}`, `value ${rand(40, B64)}`],
  },
  'gcp-api-key': {
    positives: [p((s) => `https://maps.googleapis.com/maps/api/js?key=${s}&v=3`, `AIza${rand(35, B64URL)}`)],
    negatives: [`AIza${rand(34, ALNUM)}`, `AIZA${rand(35, ALNUM)}`, `AIza${rand(36, ALNUM)}`],
  },
  'azure-connection-string-key': {
    positives: [
      p((s) => `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${s};EndpointSuffix=core.windows.net`, `${rand(86, B64)}==`),
      p((s) => `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${s}`, `${rand(43, B64)}=`),
    ],
    negatives: ['AccountKey=short', 'SharedAccessKeyName=RootManageSharedAccessKey', 'AccountKeys=many'],
  },
  'azure-sas-signature': {
    positives: [p((s) => `https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig=${s}`, `${rand(43, ALNUM)}%3D`)],
    negatives: ['https://example.com/?sig=abc', 'signature=abcdefghijklmnopqrstuvwxyz', 'design=abcdefghijklmnopqrstuvwxyz0123'],
  },
  'github-token': {
    positives: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((prefix) => p((s) => `token ${s} used`, prefix + rand(36))),
    negatives: [`ghp_${rand(35)}`, `ghx_${rand(36)}`, `xghp_${rand(36)}`],
  },
  'github-fine-grained-pat': {
    positives: [p((s) => `GITHUB_TOKEN=${s}`, `github_pat_${rand(22)}_${rand(59)}`)],
    negatives: [`github_pat_${rand(81)}`, 'github_pat_example'],
  },
  'gitlab-token': {
    positives: [
      p((s) => `PRIVATE-TOKEN: ${s}`, `glpat-${rand(20, B64URL)}`),
      p((s) => `runner ${s}`, `glrt-${rand(20)}`),
      p((s) => `deploy ${s}`, `gldt-${rand(20)}`),
    ],
    negatives: [`glpat-${rand(19)}`, 'glpat-XXXX', `xglpat-${rand(20)}`],
  },
  'slack-webhook-url': {
    positives: [
      p((s) => `POST ${s} failed`, `https://hooks.slack.com/services/T${rand(8, UPPER_B32)}/B${rand(8, UPPER_B32)}/${rand(24)}`),
      p((s) => `url=${s}`, `hooks.slack.com/workflows/T${rand(10)}/A${rand(10)}/${rand(18, DIGITS)}/${rand(24)}`),
    ],
    negatives: ['https://hooks.slack.com/services/', 'https://hooks.slack.com/apps/A123', 'https://api.slack.com/messaging/webhooks'],
  },
  'slack-token': {
    positives: [
      p((s) => `SLACK_BOT_TOKEN=${s}`, `xoxb-${rand(12, DIGITS)}-${rand(13, DIGITS)}-${rand(24)}`),
      p((s) => `token ${s}`, `xoxp-${rand(12, DIGITS)}-${rand(12, DIGITS)}-${rand(12, DIGITS)}-${rand(32, HEX)}`),
      p((s) => `token ${s}`, `xoxa-2-${rand(12, DIGITS)}-${rand(24)}`),
      p((s) => `token ${s}`, `xoxr-${rand(12, DIGITS)}-${rand(24)}`),
      p((s) => `token ${s}`, `xoxs-${rand(10, DIGITS)}-${rand(10, DIGITS)}-${rand(10, DIGITS)}-${rand(10, HEX)}`),
      p((s) => `app ${s}`, `xapp-1-A${rand(10, UPPER_B32)}-${rand(13, DIGITS)}-${rand(64, HEX)}`),
    ],
    negatives: ['xoxb-my-bot-token', 'xoxb-xxxxxxxxx-xxxxxxxxxx', 'xoxb-', 'https://github.com/xoxa-nyc/xoxa-nyc.github.io'],
  },
  'stripe-key': {
    positives: [
      p((s) => `stripe ${s}`, `sk_live_${rand(24)}`),
      p((s) => `stripe ${s}`, `rk_live_${rand(24)}`),
      p((s) => `stripe ${s}`, `sk_test_${rand(99)}`),
    ],
    negatives: [`pk_live_${rand(24)}`, 'sk_live_short', `ask_live_${rand(24)}`],
  },
  'stripe-webhook-secret': {
    positives: [p((s) => `STRIPE_WEBHOOK_SECRET=${s}`, `whsec_${rand(32)}`)],
    negatives: ['whsec_short', `xwhsec_${rand(32)}`],
  },
  'anthropic-api-key': {
    positives: [
      p((s) => `x-api-key: ${s}`, `sk-ant-api03-${rand(93, B64URL)}AA`),
      p((s) => `admin ${s}`, `sk-ant-admin01-${rand(93, B64URL)}AA`),
    ],
    negatives: ['sk-ant-api03-short', `sk-ant-xyz03-${rand(40)}`],
  },
  'openai-api-key': {
    positives: [
      p((s) => `OPENAI_API_KEY=${s}`, `sk-proj-${rand(74, B64URL)}T3BlbkFJ${rand(74, B64URL)}`),
      p((s) => `key ${s}`, `sk-${rand(20)}T3BlbkFJ${rand(20)}`),
      p((s) => `key ${s}`, `sk-svcacct-${rand(58, B64URL)}T3BlbkFJ${rand(58, B64URL)}`),
    ],
    negatives: ['sk-123', `task-${rand(48)}`, `sk-${rand(31)}`, `sk-ant-api03-${rand(40)}`],
  },
  jwt: {
    positives: [p((s) => `id_token=${s}&state=x`, fakeJwt()), p((s) => `{"jwt":"${s}"}`, fakeJwt())],
    negatives: ['eyJhbGciOiJIUzI1NiJ9', 'eyJ.eyJ.x', `eyJ${rand(20)}.xyz.${rand(20)}`],
  },
  'pagerduty-integration-key': {
    positives: [
      p((s) => `{"routing_key": "${s}", "event_action": "trigger"}`, rand(32)),
      p((s) => `X-Routing-Key: ${s}`, rand(32, HEX)),
      p((s) => `PAGERDUTY_INTEGRATION_KEY=${s}`, rand(32)),
    ],
    negatives: [`id: ${rand(32)}`, `routing_key: ${rand(31)}`, `routing_key: ${rand(33)}`],
  },
  'url-userinfo': {
    positives: [
      p((s) => `connecting to postgres://app:${s}@db.internal:5432/main`, `Pw${rand(14)}`),
      p((s) => `redis://:${s}@cache:6379/0`, rand(20)),
      p((s) => `https://deploy:${s}@git.example.com/repo.git`, `${rand(8)}@${rand(6)}`),
    ],
    negatives: ['https://user@example.com/path', 'https://example.com:8080/x', 'mailto:bob@example.com'],
  },
  'authorization-header': {
    positives: [
      p((s) => `Authorization: Bearer ${s}`, rand(40, B64URL)),
      p((s) => `curl -H "Authorization: Basic ${s}" https://api.example.com`, b64(`svc:${rand(12)}`)),
      p((s) => `{"authorization":"Token ${s}"}`, rand(32, HEX)),
      p((s) => `proxy-authorization: ${s}`, rand(24)),
    ],
    negatives: ['Authorization: <token>', 'authorization failed for user', 'Authorization: ${TOKEN}', 'authorization: ***'],
  },
  'bearer-token': {
    positives: [
      p((s) => `sent with bearer ${s}`, rand(30, B64URL)),
      p((s) => `Bearer ${s}`, `${rand(20)}.${rand(20)}`),
    ],
    negatives: ['Bearer authentication is required', 'the bearer token', 'bearer abc', 'Bearer XXXXXXXXXXXX'],
  },
  'basic-auth': {
    positives: [p((s) => `header Basic ${s}`, b64(`admin:${rand(10)}`))],
    negatives: ['basic knowledge', `Basic ${b64('abcdefgh')}`, 'Basic usage'],
  },
  'generic-secret-assignment': {
    positives: [
      p((s) => `api_key=${s}`, rand(32)),
      p((s) => `{"apiKey": "${s}"}`, rand(32)),
      p((s) => `password=${s}`, 'hunter22'),
      p((s) => `SECRET_TOKEN: '${s}'`, rand(24, HEX)),
      p((s) => `client_secret := "${s}"`, rand(40)),
      p((s) => `login?user=bob&pass=${s}&next=/`, `S3cret-${rand(6)}`),
    ],
    negatives: [
      'token=abc',
      'password=',
      'password="   "',
      'key=user_profile_settings_value',
      'tokenCount=123456789012345678',
      'password=${DB_PASSWORD}',
      'api_key=<your-api-key>',
      'secret: ********',
    ],
  },
  email: {
    positives: [p((s) => `contact ${s} for access`, 'bob.smith+alerts@example.co.uk'), p((s) => `<${s}>`, 'x_y@sub.example.com')],
    negatives: ['root@localhost', 'icon@2x.png', 'lodash@4.17.21', '@scope/pkg', 'user@', 'https://u:pw@example.com/'],
  },
  'payment-card': {
    positives: [
      p((s) => `card ${s} exp 12/30`, '4111 1111 1111 1111'),
      p((s) => `pan=${s}`, '5500-0000-0000-0004'),
      p((s) => `amex ${s}.`, '378282246310005'),
      p((s) => `visa ${s}`, '4012888888881881'),
    ],
    negatives: ['4111 1111 1111 1112', '4012888888881882', '0000 0000 0000 0000', '1700000000123', '17000000001234567', '41111111111111111111111'],
  },
  'phone-number': {
    positives: [
      p((s) => `call ${s} now`, '+1 (555) 123-4567'),
      p((s) => `tel:${s}`, '+447911123456'),
      p((s) => `phone ${s}.`, '555-123-4567'),
      p((s) => `office ${s}`, '020 7946 0958'),
      p((s) => `mobile ${s}`, '+49 30 12345678'),
    ],
    negatives: [
      '1700000000',
      'ts=1700000000123',
      '2024-01-15',
      '2024-01-15 1234',
      '15.01.2024',
      '12:30:45',
      'took 1500 ms',
      'v1.2.3',
      '10.0.19041.1234',
      '192.168.100.200',
      '123e4567-e89b-12d3-a456-426614174000',
      '12345678-1234-1234-1234-123456789012',
      'order 1234 5678 9012',
      '+100',
    ],
  },
} as const satisfies Record<SecretRuleName, RuleSamples>;

export function samplesFor(rule: SecretRule): RuleSamples {
  return (RULE_SAMPLES as Record<string, RuleSamples>)[rule.name] ?? { positives: [], negatives: [] };
}

/** Every positive sample of every rule. */
export function allPositives(): Positive[] {
  return SECRET_RULES.flatMap((r) => [...samplesFor(r).positives]);
}

const ADVERSARIAL_SIZE = 100 * 1024;

function fill(unit: string, size = ADVERSARIAL_SIZE): string {
  return unit.repeat(Math.ceil(size / Math.max(1, unit.length))).slice(0, size);
}

/** Inputs that would blow up a backtracking regex if a rule were written carelessly. */
const GENERIC_ADVERSARIAL = [
  'a',
  '0',
  '1 ',
  '1-',
  '4',
  '4 ',
  '+1 ',
  '(1',
  '0.',
  'a@',
  '@a.',
  'a@b.',
  'a.',
  '-',
  '-----',
  '-----BEGIN PRIVATE KEY-----',
  'eyJ-',
  'eyJ.',
  'eyJa.eyJa.',
  'a://',
  'a://b:',
  'a://b:c',
  'a=',
  'key=',
  'key_',
  'password:',
  'authorization: ',
  'bearer ',
  'basic ',
  '"private_key": "-----BEGIN PRIVATE KEY-----',
  '\\n',
  ' ',
];

/** 100 KB adversarial strings for one rule: its keywords in various repetitions plus generic ones. */
export function adversarialInputs(rule: SecretRule): { label: string; text: string }[] {
  const seeds = new Set<string>();
  for (const k of rule.keywords) {
    seeds.add(k);
    seeds.add(k.toUpperCase());
  }
  const out: { label: string; text: string }[] = [];
  for (const k of seeds) {
    for (const suffix of ['', 'a', 'A', '0', '=', ':', ' ', '-', '_', '.', '@', '/', '"', '= "', ': ']) {
      out.push({ label: `(${JSON.stringify(k + suffix)})*`, text: fill(k + suffix) });
    }
    out.push({ label: `${JSON.stringify(k)} + A*`, text: k + fill('A') });
    out.push({ label: `${JSON.stringify(k)} + 0*`, text: k + fill('0') });
    out.push({ label: `${JSON.stringify(k)} + "a-"*`, text: k + fill('a-') });
  }
  for (const unit of GENERIC_ADVERSARIAL) out.push({ label: `(${JSON.stringify(unit)})*`, text: fill(unit) });
  return out;
}

/** About `size` characters of log-like text with a secret or PII item on roughly one line in ten. */
export function mixedCorpus(size: number): string {
  const next = mulberry32(42);
  const secrets = allPositives().map((x) => x.text);
  const lines = [
    () => `2024-05-01T12:${String(Math.floor(next() * 60)).padStart(2, '0')}:00.000Z INFO tool_call tool=read_file caller=user-${Math.floor(next() * 1e6)} duration=${Math.floor(next() * 5000)}ms`,
    () => `{"eventId":"${rand(8, HEX)}-${rand(4, HEX)}-${rand(4, HEX)}-${rand(4, HEX)}-${rand(12, HEX)}","server":"mcp-files","tool":"search","args":{"query":"quarterly report ${Math.floor(next() * 100)}","limit":20}}`,
    () => `WARN rate limit exceeded for client ${rand(12)} on /v1/tools/list (retry in 30s, version 1.4.${Math.floor(next() * 20)})`,
    () => 'The quick brown fox jumps over the lazy dog; nothing to see here, just ordinary prose and punctuation.',
    () => `ERROR upstream returned 502 after 3 attempts, request id ${rand(16, HEX)}, ip 10.0.${Math.floor(next() * 255)}.${Math.floor(next() * 255)}`,
  ];
  let out = '';
  while (out.length < size) {
    const r = next();
    if (r < 0.1) out += `${secrets[Math.floor(next() * secrets.length)] ?? ''}\n`;
    else out += `${lines[Math.floor(next() * lines.length)]?.() ?? ''}\n`;
  }
  return out;
}
