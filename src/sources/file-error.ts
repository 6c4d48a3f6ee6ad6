import { SourceError } from '../domain/errors.js';

/** A clear SourceError for a local feed file that cannot be read (`what`: "a CSV file", "a JSON file"). */
export function fileError(source: string, file: string, err: unknown, what: string): SourceError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new SourceError(source, `file not found: ${file}`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new SourceError(source, `permission denied reading ${file}`, { cause: err });
  if (code === 'EISDIR') return new SourceError(source, `${file} is a directory, not ${what}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new SourceError(source, `cannot read ${file}: ${message}`, { cause: err });
}
