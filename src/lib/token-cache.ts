import type { z } from 'zod';
import type { Logger } from './log.js';
import { registerSecret } from './redact.js';
import { readJson, writeJsonAtomic } from './state-file.js';

/** A token kept in memory and in a state-dir file (0600), reused across runs until `usable` says no. */
export interface CachedToken<T> {
  /** A usable token: the one in memory, else the file's (read once), else a new exchange. */
  get(signal?: AbortSignal): Promise<T>;
  /** Exchange now, replacing memory and file; concurrent callers share one exchange. */
  refresh(signal?: AbortSignal): Promise<T>;
}

/**
 * The cache around an adapter's own token exchange (Dropshipzone's JWT, Login with Amazon).
 * `exchange` makes the request and returns the token record; the cache registers its secret,
 * keeps it and writes it to `file` (best effort: a run goes on with the token in memory when the
 * file cannot be written). Without a file the token lives in memory only.
 */
export function createCachedToken<T>(options: {
  file: string | undefined;
  schema: z.ZodType<T>;
  /** Whether a token (in memory or read from the file) may be used now, for these credentials. */
  usable: (token: T) => boolean;
  /** The secret part of the record, registered for redaction whenever a token is loaded or made. */
  secretOf: (token: T) => string;
  exchange: (signal?: AbortSignal) => Promise<T>;
  log: Logger;
  /** How logs name it ("token", "access token"). */
  label: string;
}): CachedToken<T> {
  const { file, log } = options;
  let current: T | undefined;
  let loaded = false;
  let inFlight: Promise<T> | undefined;

  async function loadCached(): Promise<T | undefined> {
    if (!file) return undefined;
    const read = await readJson(file).catch((err: unknown) => {
      log.warn(`cannot read the token cache ${file}: ${(err as Error).message}`);
      return undefined;
    });
    if (!read || !('value' in read)) return undefined;
    const parsed = options.schema.safeParse(read.value);
    if (!parsed.success || !options.usable(parsed.data)) return undefined;
    registerSecret(options.secretOf(parsed.data));
    return parsed.data;
  }

  async function exchangeAndKeep(signal?: AbortSignal): Promise<T> {
    const token = await options.exchange(signal);
    registerSecret(options.secretOf(token));
    current = token;
    if (file) {
      try {
        await writeJsonAtomic(file, token);
      } catch (err) {
        // The run goes on with the token in memory; the next run exchanges again.
        log.warn(`cannot write the token cache ${file}: ${(err as Error).message}`);
      }
    }
    return token;
  }

  function refresh(signal?: AbortSignal): Promise<T> {
    inFlight ??= exchangeAndKeep(signal).finally(() => { inFlight = undefined; });
    return inFlight;
  }

  return {
    async get(signal) {
      if (current !== undefined && options.usable(current)) return current;
      if (!loaded) {
        loaded = true;
        const cached = await loadCached();
        if (cached !== undefined) {
          current = cached;
          log.debug(`reusing the cached ${options.label}`);
          return cached;
        }
      }
      return refresh(signal);
    },
    refresh,
  };
}
