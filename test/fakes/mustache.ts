// The part of Mustache that Elasticsearch search templates use, for the Elasticsearch contract
// server: {{var}} (dotted paths), {{#section}}…{{/section}}, {{^inverted}}…{{/inverted}} and
// {{! comments}}. Values are escaped for JSON string context, as Elasticsearch does for templates
// whose content type is JSON (its CustomMustacheFactory defaults to the JSON encoder).
// https://www.elastic.co/guide/en/elasticsearch/reference/8.19/search-template.html

export class MustacheError extends Error {}

type Node = { kind: 'text'; text: string } | { kind: 'var'; path: string } | { kind: 'section'; path: string; inverted: boolean; children: Node[] };

function parse(source: string): Node[] {
  const root: Node[] = [];
  const stack: { path: string; nodes: Node[] }[] = [{ path: '', nodes: root }];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    const top = stack[stack.length - 1];
    if (top === undefined) throw new MustacheError('internal: empty stack');
    if (open < 0) {
      top.nodes.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) top.nodes.push({ kind: 'text', text: source.slice(i, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new MustacheError(`unclosed tag at offset ${open}`);
    const tag = source.slice(open + 2, close).trim();
    i = close + 2;
    if (tag === '') throw new MustacheError(`empty tag at offset ${open}`);
    const sigil = tag[0];
    const name = tag.slice(1).trim();
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const section: Node = { kind: 'section', path: name, inverted: sigil === '^', children: [] };
      top.nodes.push(section);
      stack.push({ path: name, nodes: section.children });
    } else if (sigil === '/') {
      if (stack.length < 2 || top.path !== name) throw new MustacheError(`{{/${name}}} closes ${top.path === '' ? 'nothing' : `{{#${top.path}}}`}`);
      stack.pop();
    } else if (sigil === '{' || sigil === '&' || sigil === '>' || sigil === '=') {
      throw new MustacheError(`tag {{${tag}}} is not used by auditwatch templates and not modelled`);
    } else {
      top.nodes.push({ kind: 'var', path: tag });
    }
  }
  if (stack.length > 1) throw new MustacheError(`section {{#${stack[stack.length - 1]?.path ?? ''}}} is never closed`);
  return root;
}

function lookup(path: string, contexts: readonly unknown[]): unknown {
  for (let c = contexts.length - 1; c >= 0; c--) {
    let value: unknown = contexts[c];
    let found = true;
    for (const part of path.split('.')) {
      if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, part)) value = (value as Record<string, unknown>)[part];
      else {
        found = false;
        break;
      }
    }
    if (found) return value;
  }
  return undefined;
}

function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0));
}

function jsonEscape(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return JSON.stringify(s).slice(1, -1);
}

function render(nodes: readonly Node[], contexts: readonly unknown[]): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'var') {
      const v = lookup(n.path, contexts);
      if (v !== undefined && v !== null) out += jsonEscape(v);
    } else {
      const v = lookup(n.path, contexts);
      if (n.inverted) {
        if (!truthy(v)) out += render(n.children, contexts);
      } else if (Array.isArray(v)) {
        for (const item of v) out += render(n.children, [...contexts, item]);
      } else if (truthy(v)) {
        out += render(n.children, [...contexts, v]);
      }
    }
  }
  return out;
}

/** Renders `source` with `params`; throws MustacheError on a malformed template. */
export function renderMustache(source: string, params: Record<string, unknown>): string {
  return render(parse(source), [params]);
}

/** Throws MustacheError when `source` is not a well-formed template. */
export function checkMustache(source: string): void {
  parse(source);
}
