import type { z } from 'zod';
import type { VendureStoreConfig } from '../../config/schema.js';
import { HttpError, StoreError } from '../../domain/errors.js';
import { connectionOptions, createHttpClient, type HttpClient } from '../../lib/http.js';
import { redact, registerSecret, safeUrl } from '../../lib/redact.js';
import { graphQLResponse, LoginData, type GraphQLError } from './schemas.js';

/**
 * Vendure Admin API over the shared HTTP client (API_FACTS §7): logs in once with
 * `login(username, password)`, takes the session token from the `vendure-auth-token` response
 * header and sends it as `Authorization: Bearer` afterwards.
 */

/** Vendure's default `authOptions.authTokenHeaderKey`. */
export const AUTH_TOKEN_HEADER = 'vendure-auth-token';

const LOGIN = `mutation invsyncLogin($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    ... on CurrentUser { id identifier }
    ... on ErrorResult { errorCode message }
  }
}`;

/** A GraphQL answer: `data` is null when the operation failed as a whole; `errors` is never empty when present. */
export interface GraphQLResult<T> {
  data: T | null;
  errors: GraphQLError[];
}

export interface VendureClient {
  /**
   * Run one operation as the logged-in user (logging in first when needed). Returns data and
   * errors as Vendure sent them. Throws HttpError for transport failures (after the client's
   * retries), and an auth HttpError when the login is refused or Vendure answers FORBIDDEN.
   */
  request<T>(query: string, variables: Record<string, unknown>, data: z.ZodType<T>, signal?: AbortSignal): Promise<GraphQLResult<T>>;
  readonly http: HttpClient;
}

export function createVendureClient(config: VendureStoreConfig): VendureClient {
  const http = createHttpClient({
    name: 'store',
    ...connectionOptions(config, { concurrency: 2 }),
  });
  const where = `POST ${safeUrl(config.url)}`;
  let session: Promise<string> | null = null;

  async function login(signal?: AbortSignal): Promise<string> {
    const res = await http.json({
      method: 'POST', url: config.url, signal,
      json: { query: LOGIN, variables: { username: config.username, password: config.password } },
    }, graphQLResponse(LoginData));
    const { data, errors } = res.body;
    if (errors?.length) throw graphQLFailure(errors, config.url, res.status);
    const login = data?.login;
    if (!login || 'errorCode' in login) {
      throw new HttpError(`${where}: Vendure refused the login${login ? ` (${login.errorCode}: ${redact(login.message)})` : ''}; check store.username and store.password`, {
        status: res.status, url: safeUrl(config.url), auth: true, retryable: false,
      });
    }
    const header = res.headers[AUTH_TOKEN_HEADER];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) {
      throw new StoreError(`${where}: Vendure accepted the login but sent no "${AUTH_TOKEN_HEADER}" header; enable bearer tokens (authOptions.tokenMethod: ['bearer', 'cookie']) on the server`);
    }
    registerSecret(token);
    return token;
  }

  async function token(signal?: AbortSignal): Promise<string> {
    session ??= login(signal).catch((err: unknown) => { session = null; throw err; });
    return session;
  }

  async function request<T>(query: string, variables: Record<string, unknown>, data: z.ZodType<T>, signal?: AbortSignal): Promise<GraphQLResult<T>> {
    const bearer = await token(signal);
    const res = await http.json({
      method: 'POST', url: config.url, signal,
      headers: { authorization: `Bearer ${bearer}` },
      json: { query, variables },
    }, graphQLResponse(data));
    const errors = res.body.errors ?? [];
    const forbidden = errors.find((e) => e.extensions?.code === 'FORBIDDEN');
    if (forbidden) throw graphQLFailure([forbidden], config.url, res.status);
    return { data: (res.body.data ?? null) as T | null, errors };
  }

  return { request, http };
}

/** One line for a list of GraphQL errors: "CODE: message; …". */
export function describeErrors(errors: GraphQLError[]): string {
  return errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${redact(e.message)}`).join('; ');
}

/** A failed operation as an HttpError; FORBIDDEN is an auth refusal (never retried, stops the run). */
export function graphQLFailure(errors: GraphQLError[], url: string, status: number): HttpError {
  const auth = errors.some((e) => e.extensions?.code === 'FORBIDDEN');
  const hint = auth ? ' (the user lacks the permission, or the session expired; check the credentials and the role\'s ReadCatalog/UpdateCatalog permissions)' : '';
  return new HttpError(`POST ${safeUrl(url)}: ${describeErrors(errors)}${hint}`, {
    status, url: safeUrl(url), auth, body: { errors }, retryable: false,
  });
}
