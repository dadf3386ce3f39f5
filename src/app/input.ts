import type { RuntimeConfig } from '../config/runtime.js';
import { AuditwatchError } from '../errors.js';
import { createDecoder, type Decoder } from '../events/formats/decode.js';
import { fieldPath } from '../events/formats/json.js';
import { FORMAT_NAMES, INPUT_FORMATS, type FormatOptions, type InputFormat } from '../events/formats/registry.js';
import { DEFAULT_LIMITS, type InputLimits } from '../events/limits.js';

/** How a command reads its input: the format and its options, from flags over auditwatch.yaml. */
export interface InputFlags {
  /** --format: a format name or `auto`; undefined means input.format of the config (default canonical). */
  readonly format?: string;
  /** --caller: the callerId of formats that carry none (redisctl). */
  readonly caller?: string;
  /** --caller-field: the message field that holds the caller, for those formats. */
  readonly callerField?: string;
  readonly maxBytes?: number;
}

export function isInputFormat(s: string): s is InputFormat {
  return (INPUT_FORMATS as readonly string[]).includes(s);
}

/** Builds the decoder of a file or stdin input. Bad flags are a usage error (exit code 2). */
export function inputDecoder(flags: InputFlags, input?: RuntimeConfig['input']): Decoder {
  const format = flags.format ?? input?.format ?? 'canonical';
  if (!isInputFormat(format)) {
    throw new AuditwatchError('USAGE', `unknown input format "${format}" (one of: ${FORMAT_NAMES.join(', ')}, auto)`, { format });
  }
  let options: FormatOptions = input?.formats ?? {};
  if (flags.caller !== undefined || flags.callerField !== undefined) {
    const base = options.redisctl ?? { caller: 'redisctl-mcp' };
    options = {
      ...options,
      redisctl: {
        ...base,
        ...(flags.caller === undefined ? {} : { caller: flags.caller }),
        ...(flags.callerField === undefined ? {} : { callerField: fieldPath(flags.callerField) }),
      },
    };
  }
  const limits: InputLimits = {
    maxBytes: flags.maxBytes ?? input?.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxDepth: input?.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxFieldLength: input?.maxFieldLength ?? DEFAULT_LIMITS.maxFieldLength,
  };
  return createDecoder({ format, formatOptions: options, limits });
}
