/**
 * Just enough GraphQL for the Vendure fake: parses one operation (query or mutation) with
 * variables, aliases, arguments (objects, lists, enums, variables, literals) and inline
 * fragments, and projects resolved values through the selection, the way a GraphQL server
 * returns only what was asked. Unknown fields are refused like graphql-js does, so a typo in an
 * adapter's query fails against the fake as it would against Vendure.
 */

export type GqlValue = null | boolean | number | string | GqlValue[] | { [k: string]: GqlValue } | { $var: string } | { $enum: string };

export interface Field {
  alias: string;
  name: string;
  args: Record<string, GqlValue>;
  selections: Selection[];
}
export interface InlineFragment {
  on: string;
  selections: Selection[];
}
export type Selection = Field | InlineFragment;

export interface Operation {
  kind: 'query' | 'mutation';
  name?: string;
  variables: string[];
  selections: Selection[];
}

export class GqlSyntaxError extends Error {}

/** graphql-js's message for an unknown field; Vendure answers it with HTTP 400, code GRAPHQL_VALIDATION_FAILED. */
export class GqlValidationError extends Error {}

const PUNCT = new Set(['{', '}', '(', ')', ':', '[', ']', '$', '!', '=', '@', ',']);

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s|,/.test(c)) { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (src.startsWith('...', i)) { tokens.push('...'); i += 3; continue; }
    if (PUNCT.has(c)) { tokens.push(c); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') { s += src[j + 1]; j += 2; } else { s += src[j]; j++; }
      }
      tokens.push(JSON.stringify(s));
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_.+-]+/.exec(src.slice(i));
    if (!m) throw new GqlSyntaxError(`Syntax Error: Unexpected character: "${c}".`);
    tokens.push(m[0]);
    i += m[0].length;
  }
  return tokens;
}

/** Parses the first operation of a document. Throws GqlSyntaxError. */
export function parseOperation(src: string): Operation {
  const t = tokenize(src);
  let p = 0;
  const peek = () => t[p];
  const next = () => { const v = t[p++]; if (v === undefined) throw new GqlSyntaxError('Syntax Error: Unexpected <EOF>.'); return v; };
  const expect = (v: string) => { const got = next(); if (got !== v) throw new GqlSyntaxError(`Syntax Error: Expected "${v}", found "${got}".`); };

  function value(): GqlValue {
    const v = next();
    if (v === '$') return { $var: next() };
    if (v === '{') {
      const obj: Record<string, GqlValue> = {};
      while (peek() !== '}') { const k = next(); expect(':'); obj[k] = value(); }
      next();
      return obj;
    }
    if (v === '[') {
      const list: GqlValue[] = [];
      while (peek() !== ']') list.push(value());
      next();
      return list;
    }
    if (v.startsWith('"')) return JSON.parse(v) as string;
    if (v === 'true' || v === 'false') return v === 'true';
    if (v === 'null') return null;
    if (/^-?\d/.test(v)) return Number(v);
    return { $enum: v };
  }

  function selectionSet(): Selection[] {
    expect('{');
    const out: Selection[] = [];
    while (peek() !== '}') {
      if (peek() === '...') {
        next();
        expect('on');
        const on = next();
        out.push({ on, selections: selectionSet() });
        continue;
      }
      let name = next();
      let alias = name;
      if (peek() === ':') { next(); name = next(); }
      const args: Record<string, GqlValue> = {};
      if (peek() === '(') {
        next();
        while (peek() !== ')') { const k = next(); expect(':'); args[k] = value(); }
        next();
      }
      out.push({ alias, name, args, selections: peek() === '{' ? selectionSet() : [] });
    }
    next();
    return out;
  }

  let kind: Operation['kind'] = 'query';
  let name: string | undefined;
  const variables: string[] = [];
  if (peek() === 'query' || peek() === 'mutation') {
    kind = next() as Operation['kind'];
    if (peek() !== '(' && peek() !== '{') name = next();
    if (peek() === '(') {
      next();
      while (peek() !== ')') {
        expect('$');
        variables.push(next());
        expect(':');
        // type: Name, [Name!]!, …
        while (peek() !== ')' && peek() !== '$' && peek() !== '=') next();
        if (peek() === '=') { next(); value(); }
      }
      next();
    }
  }
  return { kind, name, variables, selections: selectionSet() };
}

/** Replaces variable references by their values and enums by their names. */
export function resolveArgs(args: Record<string, GqlValue>, variables: Record<string, unknown>): Record<string, unknown> {
  const walk = (v: GqlValue): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    if ('$var' in v && typeof v.$var === 'string') return variables[v.$var] ?? null;
    if ('$enum' in v && typeof v.$enum === 'string') return v.$enum;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x as GqlValue)]));
  };
  return walk(args as GqlValue) as Record<string, unknown>;
}

/**
 * The schema the fake knows: per type, its fields and each field's type (`Type`, `[Type]`, or a
 * scalar written in lower case). Union/interface members list the types a fragment may name.
 */
export interface MiniSchema {
  types: Record<string, Record<string, string>>;
  /** Abstract type → concrete types that match a fragment on it. */
  abstract?: Record<string, string[]>;
}

/**
 * Projects `value` (a plain object graph, with `__typename` on union members) through the
 * selection of type `typeName`. Throws GqlValidationError on an unknown field.
 */
export function project(schema: MiniSchema, typeName: string, selections: Selection[], value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => project(schema, typeName, selections, v));
  const obj = value as Record<string, unknown>;
  const concrete = (obj.__typename as string | undefined) ?? typeName;
  const out: Record<string, unknown> = {};
  const visit = (sels: Selection[], onType: string) => {
    for (const sel of sels) {
      if ('on' in sel) {
        const matches = sel.on === concrete || (schema.abstract?.[sel.on] ?? []).includes(concrete);
        if (matches) visit(sel.selections, concrete);
        continue;
      }
      if (sel.name === '__typename') { out[sel.alias] = concrete; continue; }
      const fields = schema.types[onType] ?? {};
      const fieldType = fields[sel.name];
      if (fieldType === undefined) throw new GqlValidationError(`Cannot query field "${sel.name}" on type "${onType}".`);
      const inner = fieldType.replace(/[[\]!]/g, '');
      const v = obj[sel.name];
      out[sel.alias] = sel.selections.length > 0 ? project(schema, inner, sel.selections, v) : (v ?? null);
    }
  };
  visit(selections, schema.types[concrete] ? concrete : typeName);
  return out;
}

/**
 * Checks every selected field exists, before anything runs (graphql-js validates the whole
 * document first: a typo never half-executes a mutation). Throws GqlValidationError.
 */
export function validate(schema: MiniSchema, typeName: string, selections: Selection[]): void {
  for (const sel of selections) {
    if ('on' in sel) {
      const concrete = schema.types[sel.on] ? sel.on : (schema.abstract?.[sel.on] ?? [])[0];
      if (!concrete) throw new GqlValidationError(`Unknown type "${sel.on}".`);
      validate(schema, concrete, sel.selections);
      continue;
    }
    if (sel.name === '__typename') continue;
    const fieldType = schema.types[typeName]?.[sel.name];
    if (fieldType === undefined) throw new GqlValidationError(`Cannot query field "${sel.name}" on type "${typeName}".`);
    const inner = fieldType.replace(/[[\]!]/g, '');
    if (sel.selections.length > 0) validate(schema, inner, sel.selections);
    else if (schema.types[inner]) throw new GqlValidationError(`Field "${sel.name}" of type "${fieldType}" must have a selection of subfields.`);
  }
}
