/**
 * A small GraphQL engine for the Shopify fake: parses one operation, validates it against a
 * schema (unknown fields, arguments, directives, variables are rejected with GraphQL errors
 * shaped like Shopify's), coerces variables strictly, computes the requested cost before
 * running and the actual cost while running, and executes against plain objects.
 *
 * Supported: one query or mutation, aliases, arguments (literals and variables), directives,
 * inline fragments, lists, input objects. Not supported (rejected): named fragments,
 * subscriptions, several operations in one document.
 *
 * Cost model (Shopify's published rules, API_FACTS §3): scalars and enums 0, objects 1,
 * connections 2 + first × node cost, `nodes(ids:)` ids × node cost, a field of an interface
 * type costs the dearest of its fragments, mutation fields 10 (their payload is free).
 */

export interface Loc { line: number; column: number }

export type Value =
  | { kind: 'Variable'; name: string; loc: Loc }
  | { kind: 'Int' | 'Float'; value: number; loc: Loc }
  | { kind: 'String'; value: string; loc: Loc }
  | { kind: 'Boolean'; value: boolean; loc: Loc }
  | { kind: 'Null'; loc: Loc }
  | { kind: 'Enum'; value: string; loc: Loc }
  | { kind: 'List'; values: Value[]; loc: Loc }
  | { kind: 'Object'; fields: Array<{ name: string; value: Value }>; loc: Loc };

export interface Argument { name: string; value: Value; loc: Loc }
export interface Directive { name: string; args: Argument[]; loc: Loc }
export interface FieldNode {
  kind: 'Field'; alias?: string; name: string; args: Argument[]; directives: Directive[]; selections?: Selection[]; loc: Loc;
}
export interface InlineFragment { kind: 'InlineFragment'; typeCondition?: string; selections: Selection[]; loc: Loc }
export type Selection = FieldNode | InlineFragment;
export interface VariableDefinition { name: string; type: string; defaultValue?: Value; loc: Loc }
export interface Operation {
  operation: 'query' | 'mutation'; name?: string; variables: VariableDefinition[]; directives: Directive[]; selections: Selection[]; loc: Loc;
}

/** A GraphQL error as Shopify sends it in `errors[]`. */
export interface GqlError {
  message: string;
  locations?: Loc[];
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

/* ------------------------------------------------------------------------------------------ */
/* Lexer and parser                                                                            */
/* ------------------------------------------------------------------------------------------ */

type TokenKind = 'PUNCT' | 'NAME' | 'INT' | 'FLOAT' | 'STRING' | 'EOF';
interface Token { kind: TokenKind; value: string; loc: Loc }

const PUNCT_NAMES: Record<string, string> = {
  '{': 'LCURLY', '}': 'RCURLY', '(': 'LPAREN', ')': 'RPAREN', '[': 'LBRACKET', ']': 'RBRACKET', ':': 'COLON',
  '!': 'BANG', '$': 'VAR_SIGN', '@': 'DIR_SIGN', '=': 'EQUALS', '|': 'PIPE', '...': 'ELLIPSIS', '&': 'AMP',
};

export class GraphQLSyntaxError extends Error {
  constructor(message: string, readonly loc: Loc) { super(message); }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): Loc => ({ line, column: at - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '\n') { i++; line++; lineStart = i; continue; }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === ',' || ch === '\uFEFF') { i++; continue; }
    if (ch === '#') { while (i < source.length && source[i] !== '\n') i++; continue; }
    if (source.startsWith('...', i)) { tokens.push({ kind: 'PUNCT', value: '...', loc: loc(i) }); i += 3; continue; }
    if ('{}()[]:!$@=|&'.includes(ch)) { tokens.push({ kind: 'PUNCT', value: ch, loc: loc(i) }); i++; continue; }
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i));
    if (name) { tokens.push({ kind: 'NAME', value: name[0], loc: loc(i) }); i += name[0].length; continue; }
    const num = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
    if (num) {
      tokens.push({ kind: num[2] || num[3] ? 'FLOAT' : 'INT', value: num[0], loc: loc(i) });
      i += num[0].length;
      continue;
    }
    if (source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      if (end === -1) throw new GraphQLSyntaxError(`Parse error on unterminated string at [${line}, ${i - lineStart + 1}]`, loc(i));
      const raw = source.slice(i + 3, end);
      tokens.push({ kind: 'STRING', value: raw, loc: loc(i) });
      for (const c of raw) if (c === '\n') line++;
      i = end + 3;
      continue;
    }
    if (ch === '"') {
      const start = i;
      let out = '';
      i++;
      for (;;) {
        const c = source[i];
        if (c === undefined || c === '\n') throw new GraphQLSyntaxError(`Parse error on unterminated string at [${line}, ${start - lineStart + 1}]`, loc(start));
        if (c === '"') { i++; break; }
        if (c === '\\') {
          const e = source[i + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e !== undefined && e in simple) { out += simple[e]; i += 2; continue; }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) { out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16)); i += 6; continue; }
          throw new GraphQLSyntaxError(`Parse error on bad escape at [${line}, ${i - lineStart + 1}]`, loc(i));
        }
        out += c;
        i++;
      }
      tokens.push({ kind: 'STRING', value: out, loc: loc(start) });
      continue;
    }
    throw new GraphQLSyntaxError(`Parse error on "${ch}" (error) at [${line}, ${i - lineStart + 1}]`, loc(i));
  }
  tokens.push({ kind: 'EOF', value: '', loc: { line, column: i - lineStart + 1 } });
  return tokens;
}

/** Parse a document holding exactly one operation. Throws GraphQLSyntaxError. */
export function parseOperation(source: string): Operation {
  const tokens = tokenize(source);
  let p = 0;
  const peek = (): Token => tokens[p] as Token;
  const fail = (t: Token = peek()): never => {
    const what = t.kind === 'EOF' ? 'end of file' : `"${t.value}" (${t.kind === 'PUNCT' ? PUNCT_NAMES[t.value] : t.kind})`;
    throw new GraphQLSyntaxError(`Parse error on ${what} at [${t.loc.line}, ${t.loc.column}]`, t.loc);
  };
  const isPunct = (v: string): boolean => peek().kind === 'PUNCT' && peek().value === v;
  const expectPunct = (v: string): Token => (isPunct(v) ? (tokens[p++] as Token) : fail());
  const expectName = (): Token => (peek().kind === 'NAME' ? (tokens[p++] as Token) : fail());

  function parseValue(constant: boolean): Value {
    const t = peek();
    if (t.kind === 'PUNCT' && t.value === '$' && !constant) { p++; return { kind: 'Variable', name: expectName().value, loc: t.loc }; }
    if (t.kind === 'INT') { p++; return { kind: 'Int', value: Number(t.value), loc: t.loc }; }
    if (t.kind === 'FLOAT') { p++; return { kind: 'Float', value: Number(t.value), loc: t.loc }; }
    if (t.kind === 'STRING') { p++; return { kind: 'String', value: t.value, loc: t.loc }; }
    if (t.kind === 'NAME') {
      p++;
      if (t.value === 'true' || t.value === 'false') return { kind: 'Boolean', value: t.value === 'true', loc: t.loc };
      if (t.value === 'null') return { kind: 'Null', loc: t.loc };
      return { kind: 'Enum', value: t.value, loc: t.loc };
    }
    if (isPunct('[')) {
      p++;
      const values: Value[] = [];
      while (!isPunct(']')) values.push(parseValue(constant));
      p++;
      return { kind: 'List', values, loc: t.loc };
    }
    if (isPunct('{')) {
      p++;
      const fields: Array<{ name: string; value: Value }> = [];
      while (!isPunct('}')) {
        const name = expectName().value;
        expectPunct(':');
        fields.push({ name, value: parseValue(constant) });
      }
      p++;
      return { kind: 'Object', fields, loc: t.loc };
    }
    return fail();
  }

  function parseArguments(): Argument[] {
    if (!isPunct('(')) return [];
    p++;
    const args: Argument[] = [];
    while (!isPunct(')')) {
      const name = expectName();
      expectPunct(':');
      args.push({ name: name.value, value: parseValue(false), loc: name.loc });
    }
    p++;
    return args;
  }

  function parseDirectives(): Directive[] {
    const out: Directive[] = [];
    while (isPunct('@')) {
      const at = tokens[p++] as Token;
      out.push({ name: expectName().value, args: parseArguments(), loc: at.loc });
    }
    return out;
  }

  function parseSelectionSet(): Selection[] {
    expectPunct('{');
    const selections: Selection[] = [];
    while (!isPunct('}')) {
      if (isPunct('...')) {
        const dots = tokens[p++] as Token;
        if (peek().kind === 'NAME' && peek().value === 'on') {
          p++;
          const typeCondition = expectName().value;
          parseDirectives();
          selections.push({ kind: 'InlineFragment', typeCondition, selections: parseSelectionSet(), loc: dots.loc });
        } else if (isPunct('{')) {
          selections.push({ kind: 'InlineFragment', selections: parseSelectionSet(), loc: dots.loc });
        } else {
          throw new GraphQLSyntaxError('Named fragments are not supported by this fake', dots.loc);
        }
        continue;
      }
      const first = expectName();
      let alias: string | undefined;
      let name = first.value;
      if (isPunct(':')) { p++; alias = first.value; name = expectName().value; }
      const args = parseArguments();
      const directives = parseDirectives();
      const sub = isPunct('{') ? parseSelectionSet() : undefined;
      selections.push({ kind: 'Field', ...(alias ? { alias } : {}), name, args, directives, ...(sub ? { selections: sub } : {}), loc: first.loc });
    }
    if (selections.length === 0) fail();
    p++;
    return selections;
  }

  function parseType(): string {
    let type: string;
    if (isPunct('[')) { p++; type = `[${parseType()}]`; expectPunct(']'); } else type = expectName().value;
    if (isPunct('!')) { p++; type += '!'; }
    return type;
  }

  const start = peek();
  let operation: Operation;
  if (isPunct('{')) {
    operation = { operation: 'query', variables: [], directives: [], selections: parseSelectionSet(), loc: start.loc };
  } else {
    const kw = expectName();
    if (kw.value === 'fragment') throw new GraphQLSyntaxError('Named fragments are not supported by this fake', kw.loc);
    if (kw.value !== 'query' && kw.value !== 'mutation') fail(kw);
    const name = peek().kind === 'NAME' ? expectName().value : undefined;
    const variables: VariableDefinition[] = [];
    if (isPunct('(')) {
      p++;
      while (!isPunct(')')) {
        const dollar = expectPunct('$');
        const vname = expectName().value;
        expectPunct(':');
        const type = parseType();
        const defaultValue = isPunct('=') ? (p++, parseValue(true)) : undefined;
        variables.push({ name: vname, type, ...(defaultValue ? { defaultValue } : {}), loc: dollar.loc });
      }
      p++;
    }
    const directives = parseDirectives();
    operation = { operation: kw.value as 'query' | 'mutation', ...(name ? { name } : {}), variables, directives, selections: parseSelectionSet(), loc: kw.loc };
  }
  if (peek().kind !== 'EOF') {
    throw new GraphQLSyntaxError('This fake accepts one operation per document', peek().loc);
  }
  return operation;
}

/* ------------------------------------------------------------------------------------------ */
/* Schema                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** How a field counts towards the query cost. */
export type CostKind = 'free' | 'object' | 'connection' | 'ids' | 'mutation';

export interface FieldSpec {
  /** Output type, GraphQL notation without non-null marks: `String`, `[InventoryQuantity]`, `Node`. */
  type: string;
  /** Argument types in GraphQL notation (`ID!`, `[ID!]!`, `InventorySetQuantitiesInput!`). */
  args?: Record<string, string>;
  /** Default: `free` for scalars and enums, `object` for object types. */
  cost?: CostKind;
  /** Access scope the token needs (else ACCESS_DENIED for this field). */
  scope?: string;
  /** Top-level errors found before anything runs (e.g. an input array over the limit). */
  precheck?: (args: Record<string, unknown>, field: FieldNode) => GqlError | null;
}

export interface InputFieldSpec {
  type: string;
  /** The key must be present even though the value may be null (Shopify's changeFromQuantity). */
  presenceRequired?: boolean;
}

export interface Schema {
  query: string;
  mutation: string;
  scalars: Set<string>;
  enums: Record<string, string[]>;
  /** Object and interface types; an interface lists its implementations in `possibleTypes`. */
  types: Record<string, { fields: Record<string, FieldSpec>; possibleTypes?: string[] }>;
  inputs: Record<string, Record<string, InputFieldSpec>>;
  directives: Record<string, Record<string, string>>;
}

const BUILTIN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

function namedType(type: string): string {
  return type.replace(/[[\]!]/g, '');
}

function isLeaf(schema: Schema, type: string): boolean {
  const n = namedType(type);
  return BUILTIN_SCALARS.has(n) || schema.scalars.has(n) || n in schema.enums;
}

function isList(type: string): boolean {
  return type.startsWith('[');
}

function costKind(schema: Schema, spec: FieldSpec): CostKind {
  return spec.cost ?? (isLeaf(schema, spec.type) ? 'free' : 'object');
}

/* ------------------------------------------------------------------------------------------ */
/* Validation                                                                                  */
/* ------------------------------------------------------------------------------------------ */

function opPath(op: Operation): string {
  return `${op.operation}${op.name ? ` ${op.name}` : ''}`;
}

/** Static validation: every field, argument, directive and variable must be known and used. */
export function validate(schema: Schema, op: Operation): GqlError[] {
  const errors: GqlError[] = [];
  const used = new Set<string>();
  const declared = new Map(op.variables.map((v) => [v.name, v]));
  const root = op.operation === 'query' ? schema.query : schema.mutation;
  const top = opPath(op);

  for (const d of op.directives) errors.push({ message: `Directive '${d.name}' is not allowed here`, locations: [d.loc], path: [top], extensions: { code: 'directiveCannotBeApplied' } });

  const checkValue = (value: Value, expected: string, where: Array<string | number>): void => {
    if (value.kind === 'Variable') {
      used.add(value.name);
      const def = declared.get(value.name);
      if (!def) {
        errors.push({ message: `Variable $${value.name} is used by ${op.name ?? 'anonymous query'} but not declared`, locations: [value.loc], path: where, extensions: { code: 'variableNotDefined', variableName: value.name } });
      } else if (!typeCompatible(def.type, expected)) {
        errors.push({ message: `Nullability mismatch on variable $${value.name} and argument (${def.type} / ${expected})`, locations: [value.loc], path: where, extensions: { code: 'variableMismatch', variableName: value.name, typeName: def.type } });
      }
    } else if (value.kind === 'List') {
      for (const v of value.values) checkValue(v, expected.replace(/!$/, '').replace(/^\[(.*)\]$/, '$1'), where);
    } else if (value.kind === 'Object') {
      const input = schema.inputs[namedType(expected)];
      for (const f of value.fields) {
        const fieldType = input?.[f.name]?.type;
        if (fieldType) checkValue(f.value, fieldType, where);
      }
    }
  };

  const walk = (typeName: string, selections: Selection[], path: Array<string | number>): void => {
    const type = schema.types[typeName];
    for (const sel of selections) {
      if (sel.kind === 'InlineFragment') {
        const cond = sel.typeCondition ?? typeName;
        const possible = cond === typeName || (type?.possibleTypes?.includes(cond) ?? false);
        if (!schema.types[cond]) {
          errors.push({ message: `No such type ${cond}, so it can't be a fragment condition`, locations: [sel.loc], path: [...path, `... on ${cond}`], extensions: { code: 'undefinedType', typeName: cond } });
        } else if (!possible) {
          errors.push({ message: `Fragment on ${cond} can't be spread inside ${typeName}`, locations: [sel.loc], path: [...path, `... on ${cond}`], extensions: { code: 'cannotSpreadFragment' } });
        } else {
          walk(cond, sel.selections, [...path, `... on ${cond}`]);
        }
        continue;
      }
      const here = [...path, sel.alias ?? sel.name];
      if (sel.name === '__typename') continue;
      const spec = type?.fields[sel.name];
      if (!spec) {
        errors.push({ message: `Field '${sel.name}' doesn't exist on type '${typeName}'`, locations: [sel.loc], path: here, extensions: { code: 'undefinedField', typeName, fieldName: sel.name } });
        continue;
      }
      const argSpecs = spec.args ?? {};
      for (const a of sel.args) {
        const expected = argSpecs[a.name];
        if (!expected) {
          errors.push({ message: `Field '${sel.name}' doesn't accept argument '${a.name}'`, locations: [a.loc], path: [...here, a.name], extensions: { code: 'argumentNotAccepted', name: sel.name, typeName: 'Field', argumentName: a.name } });
        } else {
          checkValue(a.value, expected, [...here, a.name]);
        }
      }
      const missing = Object.entries(argSpecs).filter(([n, t]) => t.endsWith('!') && !sel.args.some((a) => a.name === n)).map(([n]) => n);
      if (missing.length > 0) {
        errors.push({ message: `Field '${sel.name}' is missing required arguments: ${missing.join(', ')}`, locations: [sel.loc], path: here, extensions: { code: 'missingRequiredArguments', className: 'Field', name: sel.name, arguments: missing.join(', ') } });
      }
      for (const d of sel.directives) {
        const dspec = schema.directives[d.name];
        if (!dspec) {
          errors.push({ message: `Directive '@${d.name}' is not defined`, locations: [d.loc], path: here, extensions: { code: 'undefinedDirective', directiveName: d.name } });
          continue;
        }
        for (const a of d.args) {
          if (!dspec[a.name]) errors.push({ message: `Directive '@${d.name}' doesn't accept argument '${a.name}'`, locations: [a.loc], path: here, extensions: { code: 'argumentNotAccepted' } });
          else checkValue(a.value, dspec[a.name] as string, here);
        }
        for (const [n, t] of Object.entries(dspec)) {
          if (t.endsWith('!') && !d.args.some((a) => a.name === n)) errors.push({ message: `Directive '@${d.name}' is missing required arguments: ${n}`, locations: [d.loc], path: here, extensions: { code: 'missingRequiredArguments' } });
        }
      }
      const leaf = isLeaf(schema, spec.type);
      if (leaf && sel.selections) {
        errors.push({ message: `Selections can't be made on scalars (field '${sel.name}' returns ${namedType(spec.type)} but has selections [${sel.selections.map((s) => (s.kind === 'Field' ? s.name : '...')).join(', ')}])`, locations: [sel.loc], path: here, extensions: { code: 'selectionMismatch', nodeName: `field '${sel.name}'`, typeName: namedType(spec.type) } });
      } else if (!leaf && !sel.selections) {
        errors.push({ message: `Field must have selections (field '${sel.name}' returns ${namedType(spec.type)} but has no selections. Did you mean '${sel.name} { ... }'?)`, locations: [sel.loc], path: here, extensions: { code: 'selectionMismatch', nodeName: `field '${sel.name}'`, typeName: namedType(spec.type) } });
      } else if (sel.selections) {
        walk(namedType(spec.type), sel.selections, here);
      }
    }
  };
  walk(root, op.selections, [top]);
  for (const v of op.variables) {
    if (!used.has(v.name)) errors.push({ message: `Variable $${v.name} is declared by ${op.name ?? 'anonymous query'} but not used`, locations: [v.loc], path: [top], extensions: { code: 'variableNotUsed', variableName: v.name } });
    const n = namedType(v.type);
    if (!BUILTIN_SCALARS.has(n) && !schema.scalars.has(n) && !(n in schema.enums) && !(n in schema.inputs)) {
      errors.push({ message: `${n} isn't a defined input type (on $${v.name})`, locations: [v.loc], path: [top], extensions: { code: 'variableRequiresValidType', typeName: n, variableName: v.name } });
    }
  }
  return errors;
}

/** May a variable declared as `varType` be used where `argType` is expected? */
function typeCompatible(varType: string, argType: string): boolean {
  if (argType.endsWith('!')) return varType.endsWith('!') && typeCompatible(varType.slice(0, -1), argType.slice(0, -1));
  const v = varType.endsWith('!') ? varType.slice(0, -1) : varType;
  if (v.startsWith('[') !== argType.startsWith('[')) return false;
  if (v.startsWith('[')) return typeCompatible(v.slice(1, -1), argType.slice(1, -1));
  return v === argType;
}

/* ------------------------------------------------------------------------------------------ */
/* Input coercion                                                                              */
/* ------------------------------------------------------------------------------------------ */

export interface Problem { path: Array<string | number>; explanation: string }

/** Check a JSON input value against a GraphQL input type; returns the problems (empty: valid). */
export function coerceInput(schema: Schema, type: string, value: unknown, path: Array<string | number> = []): Problem[] {
  const problems: Problem[] = [];
  const visit = (t: string, v: unknown, at: Array<string | number>): void => {
    const nonNull = t.endsWith('!');
    const inner = nonNull ? t.slice(0, -1) : t;
    if (v === null || v === undefined) {
      if (nonNull) problems.push({ path: at, explanation: 'Expected value to not be null' });
      return;
    }
    if (inner.startsWith('[')) {
      const element = inner.slice(1, -1);
      if (Array.isArray(v)) v.forEach((e, i) => visit(element, e, [...at, i]));
      else visit(element, v, at);
      return;
    }
    switch (inner) {
      case 'Int':
        if (!Number.isInteger(v) || (v as number) > 2147483647 || (v as number) < -2147483648) problems.push({ path: at, explanation: `Could not coerce value ${JSON.stringify(v)} to Int` });
        return;
      case 'Float':
        if (typeof v !== 'number') problems.push({ path: at, explanation: `Could not coerce value ${JSON.stringify(v)} to Float` });
        return;
      case 'String': case 'URL': case 'DateTime': case 'Decimal': case 'Money':
        if (typeof v !== 'string') problems.push({ path: at, explanation: `Could not coerce value ${JSON.stringify(v)} to ${inner}` });
        return;
      case 'ID':
        if (typeof v !== 'string' && !Number.isInteger(v)) problems.push({ path: at, explanation: `Could not coerce value ${JSON.stringify(v)} to ID` });
        return;
      case 'Boolean':
        if (typeof v !== 'boolean') problems.push({ path: at, explanation: `Could not coerce value ${JSON.stringify(v)} to Boolean` });
        return;
      default:
    }
    if (inner in schema.enums) {
      if (typeof v !== 'string' || !(schema.enums[inner] as string[]).includes(v)) problems.push({ path: at, explanation: `Expected ${JSON.stringify(v)} to be one of: ${(schema.enums[inner] as string[]).join(', ')}` });
      return;
    }
    const input = schema.inputs[inner];
    if (!input) { problems.push({ path: at, explanation: `Unknown type ${inner}` }); return; }
    if (typeof v !== 'object' || Array.isArray(v)) { problems.push({ path: at, explanation: `Expected value to be an object (${inner})` }); return; }
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!input[key]) problems.push({ path: [...at, key], explanation: `Field is not defined on ${inner}` });
    }
    for (const [key, spec] of Object.entries(input)) {
      if (spec.presenceRequired && !(key in obj)) problems.push({ path: [...at, key], explanation: 'Expected value to be provided (pass null explicitly to skip the check)' });
      visit(spec.type, obj[key], [...at, key]);
    }
  };
  visit(type, value, path);
  return problems;
}

/** Coerce the request's variables against the operation's definitions: GraphQL errors when invalid. */
export function coerceVariables(schema: Schema, op: Operation, provided: Record<string, unknown>): { values: Record<string, unknown>; errors: GqlError[] } {
  const values: Record<string, unknown> = {};
  const errors: GqlError[] = [];
  for (const def of op.variables) {
    const has = Object.prototype.hasOwnProperty.call(provided, def.name);
    const value = has ? provided[def.name] : def.defaultValue ? valueOf(def.defaultValue, {}) : undefined;
    const problems = coerceInput(schema, def.type, value);
    if (problems.length > 0) {
      const first = problems[0] as Problem;
      const where = first.path.length ? ` for ${first.path.join('.')}` : '';
      errors.push({
        message: `Variable $${def.name} of type ${def.type} was provided invalid value${where} (${first.explanation})`,
        locations: [def.loc],
        extensions: { value: value ?? null, problems },
      });
    }
    values[def.name] = value ?? null;
  }
  return { values, errors };
}

/** The JS value of an AST value, with variables substituted. */
export function valueOf(value: Value, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case 'Variable': return variables[value.name] ?? null;
    case 'Int': case 'Float': case 'String': case 'Boolean': case 'Enum': return value.value;
    case 'Null': return null;
    case 'List': return value.values.map((v) => valueOf(v, variables));
    case 'Object': return Object.fromEntries(value.fields.map((f) => [f.name, valueOf(f.value, variables)]));
    default: return null;
  }
}

/** Literal arguments and directive arguments are coerced too (variables were checked already). */
export function argumentErrors(schema: Schema, op: Operation, variables: Record<string, unknown>): GqlError[] {
  const errors: GqlError[] = [];
  const root = op.operation === 'query' ? schema.query : schema.mutation;
  const walk = (typeName: string, selections: Selection[], path: Array<string | number>): void => {
    for (const sel of selections) {
      if (sel.kind === 'InlineFragment') { walk(sel.typeCondition ?? typeName, sel.selections, path); continue; }
      const spec = schema.types[typeName]?.fields[sel.name];
      if (!spec) continue;
      const here = [...path, sel.alias ?? sel.name];
      for (const a of sel.args) {
        if (a.value.kind === 'Variable') continue;
        const expected = spec.args?.[a.name] as string;
        const problems = coerceInput(schema, expected, valueOf(a.value, variables));
        if (problems.length > 0) {
          errors.push({
            message: `Argument '${a.name}' on Field '${sel.name}' has an invalid value (${(problems[0] as Problem).explanation}). Expected type '${expected}'.`,
            locations: [a.loc], path: [...here, a.name], extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: a.name },
          });
        }
      }
      for (const d of sel.directives) {
        for (const a of d.args) {
          const expected = schema.directives[d.name]?.[a.name];
          if (!expected) continue;
          const problems = coerceInput(schema, expected, valueOf(a.value, variables));
          if (problems.length > 0) errors.push({ message: `Argument '${a.name}' on Directive '${d.name}' has an invalid value. Expected type '${expected}'.`, locations: [a.loc], path: here, extensions: { code: 'argumentLiteralsIncompatible' } });
        }
      }
      if (sel.selections) walk(namedType(spec.type), sel.selections, here);
    }
  };
  walk(root, op.selections, [opPath(op)]);
  return errors;
}

export function argsOf(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(field.args.map((a) => [a.name, valueOf(a.value, variables)]));
}

export function directiveArgs(field: FieldNode, variables: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(field.directives.map((d) => [d.name, Object.fromEntries(d.args.map((a) => [a.name, valueOf(a.value, variables)]))]));
}

/** Top-level errors from the root fields' prechecks (run before any execution). */
export function precheck(schema: Schema, op: Operation, variables: Record<string, unknown>): GqlError[] {
  const root = schema.types[op.operation === 'query' ? schema.query : schema.mutation];
  const errors: GqlError[] = [];
  for (const sel of op.selections) {
    if (sel.kind !== 'Field') continue;
    const spec = root?.fields[sel.name];
    const e = spec?.precheck?.(argsOf(sel, variables), sel);
    if (e) errors.push(e);
  }
  return errors;
}

/* ------------------------------------------------------------------------------------------ */
/* Cost                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/** Requested cost of a validated operation (see the model at the top of this file). */
export function requestedCost(schema: Schema, op: Operation, variables: Record<string, unknown>): number {
  const selectionCost = (typeName: string, selections: Selection[]): number => {
    const type = schema.types[typeName];
    let direct = 0;
    let fragments = 0;
    for (const sel of selections) {
      if (sel.kind === 'InlineFragment') {
        // An interface costs as much as its dearest possible type.
        fragments = Math.max(fragments, selectionCost(sel.typeCondition ?? typeName, sel.selections));
        continue;
      }
      const spec = type?.fields[sel.name];
      if (!spec) continue;
      direct += fieldCost(spec, sel);
    }
    return direct + fragments;
  };
  const fieldCost = (spec: FieldSpec, sel: FieldNode): number => {
    const kind = costKind(schema, spec);
    const child = sel.selections ? selectionCost(namedType(spec.type), sel.selections) : 0;
    const args = argsOf(sel, variables);
    switch (kind) {
      case 'free': return 0;
      case 'mutation': return 10;
      case 'object': return 1 + child;
      case 'connection': {
        const size = Number(args.first ?? args.last ?? 0);
        return 2 + Math.max(0, size) * child;
      }
      case 'ids': {
        const ids = Array.isArray(args.ids) ? args.ids.length : 0;
        return ids * (1 + child);
      }
      default: return 0;
    }
  };
  return selectionCost(op.operation === 'query' ? schema.query : schema.mutation, op.selections);
}

/* ------------------------------------------------------------------------------------------ */
/* Execution                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** A resolver failure: the field becomes null and the error is reported with its path. */
export class FieldError extends Error {
  constructor(message: string, readonly extensions: Record<string, unknown> = {}) { super(message); }
}

export interface ExecContext {
  scopes: ReadonlySet<string>;
  variables: Record<string, unknown>;
}

/**
 * Run a validated operation against `root`. A field's value is `parent[name]`; a function is
 * called with (args, directives, field). Objects carry `__typename` where a field's type is an
 * interface. Returns the data, field errors and the actual cost.
 */
export function execute(schema: Schema, op: Operation, root: Record<string, unknown>, ctx: ExecContext): { data: Record<string, unknown> | null; errors: GqlError[]; actualCost: number } {
  const errors: GqlError[] = [];
  let actual = 0;
  let inMutation = false;

  const resolveObject = (typeName: string, value: Record<string, unknown>, selections: Selection[], path: Array<string | number>): Record<string, unknown> => {
    const runtime = typeof value.__typename === 'string' ? value.__typename : typeName;
    const out: Record<string, unknown> = {};
    const visit = (sels: Selection[]): void => {
      for (const sel of sels) {
        if (sel.kind === 'InlineFragment') {
          if (!sel.typeCondition || sel.typeCondition === runtime) visit(sel.selections);
          continue;
        }
        const key = sel.alias ?? sel.name;
        if (sel.name === '__typename') { out[key] = runtime; continue; }
        const spec = schema.types[runtime]?.fields[sel.name];
        if (!spec) continue;
        out[key] = resolveField(spec, value, sel, [...path, key]);
      }
    };
    visit(selections);
    return out;
  };

  const resolveField = (spec: FieldSpec, parent: Record<string, unknown>, sel: FieldNode, path: Array<string | number>): unknown => {
    if (spec.scope && !ctx.scopes.has(spec.scope)) {
      errors.push({
        message: `Access denied for ${sel.name} field. Required access: \`${spec.scope}\` access scope.`,
        locations: [sel.loc], path,
        extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: `\`${spec.scope}\` access scope.` },
      });
      return null;
    }
    const kind = costKind(schema, spec);
    let raw: unknown;
    try {
      const member = parent[sel.name];
      raw = typeof member === 'function'
        ? (member as (a: Record<string, unknown>, d: Record<string, Record<string, unknown>>, f: FieldNode) => unknown)(argsOf(sel, ctx.variables), directiveArgs(sel, ctx.variables), sel)
        : member;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      errors.push({ message: err.message, locations: [sel.loc], path, extensions: err.extensions });
      return null;
    }
    if (raw === null || raw === undefined) return null;
    if (isLeaf(schema, spec.type)) return raw;
    const wasMutation = inMutation;
    if (!inMutation) {
      if (kind === 'mutation') { actual += 10; inMutation = true; } else if (kind === 'connection') actual += 2;
    }
    const complete = (item: unknown, at: Array<string | number>): unknown => {
      if (item === null || item === undefined) return null;
      if (!inMutation && (kind === 'object' || kind === 'ids')) actual += 1;
      return resolveObject(namedType(spec.type), item as Record<string, unknown>, sel.selections ?? [], at);
    };
    try {
      return isList(spec.type) ? (raw as unknown[]).map((item, i) => complete(item, [...path, i])) : complete(raw, path);
    } finally {
      inMutation = wasMutation;
    }
  };

  const rootType = op.operation === 'query' ? schema.query : schema.mutation;
  const data = resolveObject(rootType, root, op.selections, []);
  return { data, errors, actualCost: actual };
}
