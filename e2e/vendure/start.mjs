/**
 * Starts a real Vendure 3.7 server for invsync's end-to-end tests: sql.js (SQLite in
 * WebAssembly, in memory: every start is a fresh, empty shop), bound to 127.0.0.1 only, on a
 * free port (or VENDURE_PORT). Prints one line `VENDURE_READY {"adminApi": …, "shopApi": …}`
 * on stdout once the Admin API answers; stops cleanly on SIGTERM/SIGINT. Takes orders: Vendure's
 * dummy payment handler is configured (seed.mjs creates the payment and shipping methods).
 *
 *   node start.mjs            # superadmin / superadmin, unless VENDURE_SUPERADMIN_{USERNAME,PASSWORD}
 */
import net from 'node:net';

process.env.VENDURE_DISABLE_TELEMETRY = 'true';

const { bootstrap, DefaultLogger, LogLevel, dummyPaymentHandler } = await import('@vendure/core');

const HOST = '127.0.0.1';

/** A port the OS just handed out (the tiny race with another process is acceptable in tests). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const port = Number(process.env.VENDURE_PORT) || (await freePort());
const username = process.env.VENDURE_SUPERADMIN_USERNAME ?? 'superadmin';
const password = process.env.VENDURE_SUPERADMIN_PASSWORD ?? 'superadmin';

/** @type {import('@vendure/core').VendureConfig} */
const config = {
  apiOptions: {
    hostname: HOST,
    port,
    adminApiPath: 'admin-api',
    shopApiPath: 'shop-api',
    adminApiPlayground: false,
    shopApiPlayground: false,
    adminApiDebug: false,
  },
  authOptions: {
    tokenMethod: ['bearer', 'cookie'],
    superadminCredentials: { identifier: username, password },
    cookieOptions: { secret: 'invsync-e2e-cookie-secret' },
    requireVerification: false,
  },
  dbConnectionOptions: {
    type: 'sqljs',
    synchronize: true,
    logging: false,
  },
  // Vendure's test payment handler: lets the tests place real orders through the Shop API
  // (seed.mjs creates a payment method with it), so that stock is allocated the way a sale does.
  paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
  logger: new DefaultLogger({ level: process.env.VENDURE_LOG_LEVEL === 'verbose' ? LogLevel.Verbose : LogLevel.Error }),
  plugins: [],
};

const app = await bootstrap(config);
const base = `http://${HOST}:${port}`;
process.stdout.write(`VENDURE_READY ${JSON.stringify({ adminApi: `${base}/admin-api`, shopApi: `${base}/shop-api`, port })}\n`);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  try { await app.close(); } finally { process.exit(0); }
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The parent test runner may die without signalling: stop with it (stdin closes).
if (process.env.VENDURE_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
