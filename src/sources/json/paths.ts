/**
 * Dot paths into JSON values (`data.items`, `attributes.codes.0`, `meta.next_cursor`).
 * A segment indexes an array when it is a non-negative integer and the value is an array;
 * otherwise it names an object key. Keys containing "." cannot be addressed.
 */

export type DotPath = readonly string[];

/** "a.b.0" → ["a", "b", "0"]; "" or undefined → [] (the value itself). */
export function parseDotPath(path: string | undefined): DotPath {
  if (path === undefined || path === '') return [];
  return path.split('.');
}

/** The value at `path`, or undefined when any step is missing. */
export function getAt(value: unknown, path: DotPath): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(seg)) return undefined;
      v = v[Number(seg)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  return v;
}
