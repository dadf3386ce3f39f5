// The part of the Elasticsearch search DSL auditwatch's queries use, checked strictly for the
// contract server: unknown keys, wrong types, two aggregation types in one, a max_bucket path that
// points nowhere and malformed date math are all problems. Sources: the 8.19 reference pages
// query-dsl-bool-query, query-dsl-term(s)-query, query-dsl-range-query (date math: common-options
// #date-math), search-aggregations-bucket-terms/missing-aggregation, pipeline max-bucket and
// buckets_path syntax (search-aggregations-pipeline.html#buckets-path-syntax).

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(o: Obj, keys: readonly string[], where: string, out: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) out.push(`${where}: unknown key "${k}"`);
}

// now, or an anchor date followed by ||, then any number of +N<unit> / -N<unit> / /<unit>.
const DATE_MATH = /^(?:now|[^|]+\|\|)(?:[+-]\d+[yMwdhHms]|\/[yMwdhHms])*$/;

function checkRangeBound(v: unknown, where: string, out: string[]): void {
  if (typeof v === 'number') return;
  if (typeof v !== 'string') {
    out.push(`${where}: must be a number or a date string`);
    return;
  }
  if (v.includes('||') || v.startsWith('now')) {
    if (!DATE_MATH.test(v)) out.push(`${where}: malformed date math ${JSON.stringify(v)}`);
    const anchor = v.split('||')[0] ?? '';
    if (v.includes('||') && Number.isNaN(Date.parse(anchor)) && !/^\d+$/.test(anchor)) out.push(`${where}: date math anchor ${JSON.stringify(anchor)} is not a date`);
  } else if (Number.isNaN(Date.parse(v)) && !/^\d+$/.test(v)) {
    out.push(`${where}: ${JSON.stringify(v)} is not a date`);
  }
}

function checkQuery(q: unknown, where: string, out: string[]): void {
  if (!isObj(q) || Object.keys(q).length !== 1) {
    out.push(`${where}: a query is an object with exactly one query type`);
    return;
  }
  const [type, body] = Object.entries(q)[0] ?? ['', undefined];
  const at = `${where}.${type}`;
  switch (type) {
    case 'match_all':
      if (!isObj(body)) out.push(`${at}: must be an object`);
      return;
    case 'bool': {
      if (!isObj(body)) return void out.push(`${at}: must be an object`);
      only(body, ['filter', 'must', 'should', 'must_not', '_name', 'minimum_should_match', 'boost'], at, out);
      if (body._name !== undefined && typeof body._name !== 'string') out.push(`${at}._name: must be a string`);
      for (const clause of ['filter', 'must', 'should', 'must_not']) {
        const list = body[clause];
        if (list === undefined) continue;
        const items = Array.isArray(list) ? list : [list];
        items.forEach((item, i) => checkQuery(item, `${at}.${clause}[${i}]`, out));
      }
      return;
    }
    case 'term': {
      if (!isObj(body) || Object.keys(body).length !== 1) return void out.push(`${at}: one field`);
      const v = Object.values(body)[0];
      if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || (isObj(v) && 'value' in v))) out.push(`${at}: value must be a scalar or {value}`);
      return;
    }
    case 'terms': {
      if (!isObj(body)) return void out.push(`${at}: must be an object`);
      const fields = Object.keys(body).filter((k) => k !== 'boost' && k !== '_name');
      if (fields.length !== 1) return void out.push(`${at}: exactly one field`);
      const v = body[fields[0] ?? ''];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) out.push(`${at}: values must be an array of scalars`);
      return;
    }
    case 'range': {
      if (!isObj(body) || Object.keys(body).length !== 1) return void out.push(`${at}: one field`);
      const [field, r] = Object.entries(body)[0] ?? ['', undefined];
      if (!isObj(r)) return void out.push(`${at}.${field}: must be an object`);
      only(r, ['gt', 'gte', 'lt', 'lte', 'format', 'time_zone', 'boost', 'relation'], `${at}.${field}`, out);
      if ('gt' in r && 'gte' in r) out.push(`${at}.${field}: gt and gte together`);
      if ('lt' in r && 'lte' in r) out.push(`${at}.${field}: lt and lte together`);
      for (const b of ['gt', 'gte', 'lt', 'lte']) if (b in r) checkRangeBound(r[b], `${at}.${field}.${b}`, out);
      return;
    }
    default:
      out.push(`${at}: query type not modelled by this fake`);
  }
}

const TERMS_KEYS = ['field', 'size', 'shard_size', 'min_doc_count', 'shard_min_doc_count', 'order', 'missing', 'show_term_doc_count_error'];

function checkAggs(aggs: unknown, where: string, out: string[]): void {
  if (!isObj(aggs)) return void out.push(`${where}: must be an object`);
  for (const [name, def] of Object.entries(aggs)) {
    const at = `${where}.${name}`;
    if (!isObj(def)) {
      out.push(`${at}: must be an object`);
      continue;
    }
    const types = Object.keys(def).filter((k) => k !== 'aggs' && k !== 'aggregations' && k !== 'meta');
    if (types.length !== 1) {
      out.push(`${at}: exactly one aggregation type, got ${types.join(', ') || 'none'}`);
      continue;
    }
    const type = types[0] ?? '';
    const body = def[type];
    if (!isObj(body)) {
      out.push(`${at}.${type}: must be an object`);
      continue;
    }
    const sub = def.aggs ?? def.aggregations;
    if (type === 'terms') {
      only(body, TERMS_KEYS, `${at}.terms`, out);
      if (typeof body.field !== 'string') out.push(`${at}.terms.field: required string`);
      for (const k of ['size', 'shard_size', 'min_doc_count']) if (k in body && !(Number.isInteger(body[k]) && (body[k] as number) >= 0)) out.push(`${at}.terms.${k}: non-negative integer`);
      if ('order' in body) {
        const order = Array.isArray(body.order) ? body.order : [body.order];
        for (const o of order) if (!isObj(o) || Object.keys(o).length !== 1 || !['asc', 'desc'].includes(String(Object.values(o)[0]))) out.push(`${at}.terms.order: entries are {key: asc|desc}`);
      }
    } else if (type === 'missing') {
      only(body, ['field'], `${at}.missing`, out);
      if (typeof body.field !== 'string') out.push(`${at}.missing.field: required string`);
    } else if (type === 'max_bucket') {
      only(body, ['buckets_path', 'gap_policy', 'format'], `${at}.max_bucket`, out);
      if (sub !== undefined) out.push(`${at}: a pipeline aggregation has no sub-aggregations`);
      const path = body.buckets_path;
      if (typeof path !== 'string') out.push(`${at}.max_bucket.buckets_path: required string`);
      else checkBucketsPath(path, aggs, `${at}.max_bucket.buckets_path`, out);
    } else {
      out.push(`${at}: aggregation type ${type} not modelled by this fake`);
    }
    if (sub !== undefined) checkAggs(sub, `${at}.aggs`, out);
  }
}

/** `agg>agg>…>metric`: the first step is a sibling multi-bucket aggregation, the last a metric or _count. */
function checkBucketsPath(path: string, siblings: Obj, where: string, out: string[]): void {
  const steps = path.split('>');
  let level: Obj | undefined = siblings;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] ?? '';
    const last = i === steps.length - 1;
    if (last && step === '_count') return;
    const def: unknown = level?.[step];
    if (!isObj(def)) return void out.push(`${where}: "${step}" of ${JSON.stringify(path)} is not an aggregation at that level`);
    if (i === 0 && !('terms' in def)) out.push(`${where}: first step "${step}" must be a multi-bucket aggregation`);
    if (last) {
      if (!('max_bucket' in def)) out.push(`${where}: last step "${step}" must be a single-value metric or _count`);
      return;
    }
    const sub = def.aggs ?? def.aggregations;
    level = isObj(sub) ? sub : undefined;
  }
}

/** Every problem of a search body, empty when it is within the modelled DSL. */
export function checkSearchBody(body: unknown): string[] {
  const out: string[] = [];
  if (!isObj(body)) return ['the search body must be a JSON object'];
  only(body, ['size', 'from', 'track_total_hits', 'query', 'aggs', 'aggregations', 'timeout'], 'body', out);
  if ('query' in body) checkQuery(body.query, 'query', out);
  const aggs = body.aggs ?? body.aggregations;
  if (aggs !== undefined) checkAggs(aggs, 'aggs', out);
  return out;
}
