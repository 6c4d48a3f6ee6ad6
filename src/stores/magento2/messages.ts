/**
 * Magento error bodies: `{"message": "…%1…", "parameters": [...]}` (or named placeholders with an
 * object, `%fieldName`), sometimes with `errors: [{message, parameters}]` for validation failures.
 * Pure: no I/O.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Substitute `%1`… (array parameters) or `%name` (object parameters) into `message`; unknown placeholders stay. */
export function renderPlaceholders(message: string, parameters: unknown): string {
  if (Array.isArray(parameters)) {
    return message.replace(/%(\d+)/g, (match, n: string) => {
      const value = parameters[Number(n) - 1];
      return value === undefined || value === null ? match : String(value);
    });
  }
  if (isObject(parameters)) {
    return message.replace(/%([A-Za-z0-9_]+)/g, (match, name: string) => {
      const value = parameters[name];
      return value === undefined || value === null ? match : String(value);
    });
  }
  return message;
}

/** The human message of a Magento error body, placeholders rendered; undefined when the body is not one. */
export function renderMagentoError(body: unknown): string | undefined {
  if (!isObject(body) || typeof body.message !== 'string') return undefined;
  let text = renderPlaceholders(body.message, body.parameters);
  if (Array.isArray(body.errors)) {
    const details = body.errors
      .filter(isObject)
      .filter((e) => typeof e.message === 'string')
      .map((e) => renderPlaceholders(e.message as string, e.parameters));
    if (details.length > 0) text += `: ${details.join('; ')}`;
  }
  return text;
}
