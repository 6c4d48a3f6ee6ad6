import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP receiver for notifications (webhooks, Slack-style incoming webhooks,
 * healthchecks.io pings) on 127.0.0.1: records every request, answers like those services do
 * (`200 ok` as text/plain, not JSON), with switchable faults.
 */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  faults: {
    /** Statuses answered to the next requests, in order (then 200). */
    statuses: number[];
    /** Delay before every answer. */
    delayMs: number;
    /** Never answer (the client must time out). */
    hang: boolean;
  };
  /** Resolves when at least `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const faults: Receiver['faults'] = { statuses: [], delayMs: 0, hang: false };
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      waiters.splice(0).forEach((w) => w());
      if (faults.hang) return;
      const status = faults.statuses.shift() ?? 200;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(status === 200 ? 'ok' : 'error');
      }, faults.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    async waitFor(n, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > end) throw new Error(`receiver: expected ${n} request(s), got ${requests.length}`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
