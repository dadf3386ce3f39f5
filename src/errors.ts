// Errors are classified by code, never by message. Context is typed data (file, line, partition,
// sink...) so callers and logs can use it without parsing strings.
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'USAGE',
  'INPUT_UNREADABLE',
  'SECRET_MISSING',
  'KAFKA',
  'SINK',
  'PROVISION',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

export class AuditwatchError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuditwatchError';
    this.code = code;
    this.context = context;
    this.retriable = options.retriable ?? false;
  }
}

export function isAuditwatchError(err: unknown, code?: ErrorCode): err is AuditwatchError {
  return err instanceof AuditwatchError && (code === undefined || err.code === code);
}
