import net from 'node:net';

/**
 * Plain http:// to a store or source on the Internet lets anyone on the way read the catalog
 * and change what invsync reads and writes (a fake listing, a forged batch answer) — REVIEW #15.
 * It is accepted without a word for hosts that cannot be on the Internet (loopback, private and
 * link-local addresses, intranet names), and elsewhere only with `allowInsecureHttp: true`.
 */

export interface PlainHttpUse {
  /** Config path of the URL, e.g. `store.url`, `sources.1.url`. */
  path: string;
  host: string;
  /** The endpoint sets `allowInsecureHttp: true`. */
  allowed: boolean;
}

/** Every http:// source or store URL whose host may be public. Pure. */
export function plainHttpUses(config: { sources: ReadonlyArray<object>; store?: object; stores?: ReadonlyArray<object> }): PlainHttpUse[] {
  const uses: PlainHttpUse[] = [];
  const scan = (endpoint: object, at: string) => {
    const allowed = (endpoint as { allowInsecureHttp?: unknown }).allowInsecureHttp === true;
    for (const [key, value] of Object.entries(endpoint)) {
      if (typeof value !== 'string' || !/url$/i.test(key)) continue;
      let u: URL;
      try { u = new URL(value); } catch { continue; }
      if (u.protocol === 'http:' && !isLocalHost(u.hostname)) uses.push({ path: `${at}.${key}`, host: u.hostname, allowed });
    }
  };
  config.sources.forEach((s, i) => {
    scan(s, `sources.${i}`);
    // A store read as a source (type "store") with its keys inline.
    const inline = (s as { store?: unknown }).store;
    if (inline && typeof inline === 'object') scan(inline, `sources.${i}.store`);
  });
  if (config.store) scan(config.store, 'store');
  config.stores?.forEach((s, i) => scan(s, `stores.${i}`));
  return uses;
}

/** Loopback, private (RFC 1918, RFC 4193), link-local and CGNAT addresses; `localhost`, single-label and intranet-suffix names. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = net.isIP(host);
  if (family === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isLocalHost(mapped[1]!);
    return host === '::1' || /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host);
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  // No dot: an intranet name (`erp`, `inventree`) the local resolver answers.
  if (!host.includes('.')) return true;
  return /\.(local|internal|lan|home\.arpa)$/.test(host);
}
