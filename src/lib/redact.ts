/**
 * Secrets never reach logs, summaries or error messages. The config loader registers every
 * secret value it reads; anything printed passes through `redact()`.
 */
const secrets = new Set<string>();
/** Every form `redact` looks for, longest first (a secret that contains another is masked whole). */
let forms: string[] | null = null;

/** Remember a secret value so that `redact` masks it wherever it appears. Short values are ignored (too many false hits). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  forms = null;
}

/**
 * Replace every registered secret in `text` with `***`: as given, URL-encoded, and JSON-escaped
 * (a secret holding `"` or `\` is written escaped inside a JSON log line).
 */
export function redact(text: string): string {
  let out = text;
  for (const s of secretForms()) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}

function secretForms(): string[] {
  if (forms) return forms;
  const all = new Set<string>();
  for (const s of secrets) {
    all.add(s);
    all.add(encodeURIComponent(s));
    const escaped = JSON.stringify(s).slice(1, -1);
    all.add(escaped);
    // A JSON-escaped message that is itself embedded in JSON (an error inside a logged object).
    all.add(JSON.stringify(escaped).slice(1, -1));
  }
  forms = [...all].sort((a, b) => b.length - a.length);
  return forms;
}

/**
 * A URL fit for a message: userinfo and every query value masked (`?customer=***&pw=***`),
 * except a small page number or size under a paging parameter's name (`page=2`), which says
 * where a listing failed and is no credential.
 * NOTE: all other values, not only those with telling names: supplier feeds put credentials in
 * parameters of any name (`pw=`, `code=`, `customer=`, `hash=`).
 */
export function safeUrl(url: string | URL): string {
  let u: URL;
  try { u = new URL(String(url)); } catch { return redact(String(url)); }
  if (u.username) u.username = '***';
  if (u.password) u.password = '***';
  if (u.search) {
    const pairs = [...u.searchParams].map(([name, value]) => `${encodeURIComponent(name)}=${isPagingValue(name, value) ? value : '***'}`);
    u.search = pairs.join('&');
  }
  return redact(u.toString().replace(/%2A%2A%2A/g, '***'));
}

const PAGING_PARAMS = new Set(['page', 'page_no', 'pageno', 'per_page', 'perpage', 'page_size', 'pagesize', 'limit', 'offset', 'skip', 'take', 'start']);

function isPagingValue(name: string, value: string): boolean {
  return PAGING_PARAMS.has(name.toLowerCase()) && /^\d{1,7}$/.test(value);
}

/**
 * Register what a configured URL carries that may be a credential: its userinfo and every
 * query value. Values that are plain numbers or JSON literals are registered together with
 * their parameter name (`customer=4711`) instead: masking every bare `4711` or `true` would
 * corrupt counts and JSON log lines, while the URL form is still caught (and `safeUrl` masks
 * every query value anyway).
 */
export function registerUrlSecrets(url: string): void {
  let u: URL;
  try { u = new URL(url); } catch { return; }
  registerSecret(decodeQuery(u.username));
  registerSecret(decodeQuery(u.password));
  for (const pair of u.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const [rawName, rawValue] = [pair.slice(0, eq), pair.slice(eq + 1)];
    const value = decodeQuery(rawValue);
    if (LITERAL.test(value)) {
      registerSecret(`${rawName}=${rawValue}`);
      registerSecret(`${decodeQuery(rawName)}=${value}`);
    } else {
      registerSecret(value);
      // As written in the config, when that differs from every encoding `redact` derives.
      registerSecret(rawValue);
    }
  }
}

const LITERAL = /^(?:-?\d+(?:\.\d+)?|true|false|null)$/i;

function decodeQuery(text: string): string {
  try { return decodeURIComponent(text.replace(/\+/g, ' ')); } catch { return text; }
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void { secrets.clear(); forms = null; }
