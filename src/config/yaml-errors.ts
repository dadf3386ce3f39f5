import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import type { z } from 'zod';
import { AuditwatchError } from '../errors.js';

export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

/** A config file (or several) failed validation; `problems` keeps each one with its position. */
export class ConfigInvalidError extends AuditwatchError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const first = problems[0];
    super('CONFIG_INVALID', problems.map(formatProblem).join('\n'), { file: first?.file, line: first?.line, problems: problems.length });
    this.problems = problems;
  }
}

export function configError(problems: readonly ConfigProblem[]): ConfigInvalidError {
  return new ConfigInvalidError(problems);
}

/** Walks the YAML AST along a zod issue path to find the node's position; falls back to the nearest parent. */
function nodeAt(root: unknown, path: readonly PropertyKey[]): { node: Node | undefined; keyNode: Node | undefined } {
  let node: unknown = root;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (pair === undefined) break;
      keyNode = isScalar(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      keyNode = undefined;
    } else {
      break;
    }
  }
  return { node: node as Node | undefined, keyNode };
}

export interface ParsedYaml {
  readonly value: unknown;
  positionOf(path: readonly PropertyKey[]): { line: number; col: number };
}

/** Parses YAML text, throwing a CONFIG_INVALID error with file:line:col on syntax errors. */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw configError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }
  return {
    value: doc.toJS({ maxAliasCount: 50 }) as unknown,
    positionOf(path) {
      const { node, keyNode } = nodeAt(doc.contents, path);
      const offset = (node?.range?.[0] ?? keyNode?.range?.[0]) ?? 0;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, col: pos.col };
    },
  };
}

export function zodProblems(file: string, parsed: ParsedYaml, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    const pos = parsed.positionOf(issue.path);
    return { file, line: pos.line, col: pos.col, path: issue.path.map(String).join('.'), message: issue.message };
  });
}
