/**
 * Secrets never reach logs, summaries or error messages. The config loader registers every
 * secret value it reads; anything printed passes through `redact()`.
 */
const secrets = new Set<string>();

const SENSITIVE_PARAM = /(secret|password|passwd|token|signature|key|auth)/i;

/** Remember a secret value so that `redact` masks it wherever it appears. Short values are ignored (too many false hits). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= 4) secrets.add(value);
}

/** Replace every registered secret (and its URL-encoded form) in `text` with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s && out.includes(enc)) out = out.split(enc).join('***');
  }
  return out;
}

/** A URL fit for a message: credentials and sensitive query parameters masked. */
export function safeUrl(url: string | URL): string {
  let u: URL;
  try { u = new URL(String(url)); } catch { return redact(String(url)); }
  if (u.username) u.username = '***';
  if (u.password) u.password = '***';
  for (const name of [...u.searchParams.keys()]) {
    if (SENSITIVE_PARAM.test(name)) u.searchParams.set(name, '***');
  }
  return redact(u.toString().replace(/%2A%2A%2A/g, '***'));
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void { secrets.clear(); }
