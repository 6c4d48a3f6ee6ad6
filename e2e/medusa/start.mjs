/**
 * Starts a real Medusa v2 server for invsync's end-to-end tests, on a private PostgreSQL
 * cluster: initdb in a temporary directory (as the `postgres` user when run as root, since
 * initdb refuses root), the server on 127.0.0.1 and a free port, migrations, one admin user.
 * Everything lives in the temporary directory and is removed on exit.
 *
 * Prints one line `MEDUSA_READY {"url": …, "email": …, "password": …, "databaseUrl": …}` on
 * stdout once /health answers; stops Medusa and PostgreSQL on SIGTERM/SIGINT (or when stdin
 * closes, with MEDUSA_EXIT_WITH_STDIN=1).
 *
 * Needs the Debian package `postgresql` (see ../ensure.mjs) and `npm install` in this folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const EMAIL = process.env.MEDUSA_ADMIN_EMAIL ?? 'admin@invsync.test';
const PASSWORD = process.env.MEDUSA_ADMIN_PASSWORD ?? 'invsync-e2e-secret';
const asRoot = process.getuid?.() === 0;

const timings = {};
const t0 = Date.now();
const mark = (name, since) => { timings[name] = Date.now() - since; };

/** The newest installed PostgreSQL's bin directory (Debian keeps them under /usr/lib/postgresql/<major>/bin). */
export function postgresBin() {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'bin', 'initdb'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new Error('PostgreSQL is not installed (Debian: apt-get install -y postgresql); run "node e2e/ensure.mjs medusa"');
  return path.join(root, majors[0], 'bin');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Run a PostgreSQL tool as the postgres user when we are root. */
function pg(bin, args) {
  const tool = path.join(postgresBin(), bin);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', tool, ...args]] : [tool, args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() }).toString();
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-medusa-server-'));
const dataDir = path.join(dir, 'data');
let pgStarted = false;
let medusa = null;
let cleaned = false;

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (medusa && medusa.exitCode === null) {
    try { process.kill(-medusa.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (pgStarted) {
    try { pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']); } catch { /* already stopped */ }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

process.on('exit', cleanup);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => { cleanup(); process.exit(0); });
if (process.env.MEDUSA_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => { cleanup(); process.exit(0); });
  process.stdin.resume();
}

try {
  // 1. A private PostgreSQL cluster on a loopback port (fsync off: test data only).
  let since = Date.now();
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const pgPort = await freePort();
  pg('pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start', '-o',
    `-p ${pgPort} -k ${dir} -c listen_addresses=${HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`]);
  pgStarted = true;
  pg('createdb', ['-h', HOST, '-p', String(pgPort), '-U', 'postgres', 'medusa']);
  mark('postgres', since);

  const port = Number(process.env.MEDUSA_PORT) || (await freePort());
  const databaseUrl = `postgres://postgres@${HOST}:${pgPort}/medusa`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NODE_ENV: 'development',
    MEDUSA_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: '1',
    LOG_LEVEL: process.env.MEDUSA_LOG_LEVEL ?? 'error',
  };
  const cli = path.join(HERE, 'node_modules', '@medusajs', 'cli', 'cli.js');
  const medusaCli = (args) => execFileSync(process.execPath, [cli, ...args], { cwd: HERE, env, stdio: ['ignore', 'pipe', 'pipe'] });

  // 2. Schema and one admin user.
  since = Date.now();
  medusaCli(['db:migrate']);
  mark('migrate', since);
  since = Date.now();
  medusaCli(['user', '-e', EMAIL, '-p', PASSWORD]);
  mark('user', since);

  // 3. The server, in its own process group so that it can be stopped with all its children.
  since = Date.now();
  medusa = spawn(process.execPath, [cli, 'start', '-H', HOST, '-p', String(port)], {
    cwd: HERE, env, detached: true, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'medusa.log'), 'a')],
  });
  medusa.on('exit', (code) => {
    if (!cleaned) { process.stderr.write(`medusa exited (${code}); log:\n${fs.readFileSync(path.join(dir, 'medusa.log'), 'utf8').slice(-4000)}\n`); process.exit(1); }
  });
  const url = `http://${HOST}:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (i > 600) throw new Error('Medusa did not answer /health within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  mark('start', since);
  timings.total = Date.now() - t0;
  process.stdout.write(`MEDUSA_READY ${JSON.stringify({ url, email: EMAIL, password: PASSWORD, databaseUrl, timings })}\n`);
} catch (err) {
  process.stderr.write(`${err.stack ?? err}\n${err.stderr ? err.stderr.toString().slice(-4000) : ''}\n`);
  cleanup();
  process.exit(1);
}
