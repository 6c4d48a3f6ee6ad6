/**
 * A fake server in its own child process, driven over IPC: the parent sends { id, cmd, args },
 * the host answers { id, ok, result | error } (see serveHost). Keeps the fakes' CPU and memory
 * out of the measured CLI and out of the orchestrator.
 */
import { fork } from 'node:child_process';

/** Fork `file` and return { pid, call(cmd, args), close() }; `close` sends `close` and waits for the exit. */
export function startHost(file, execArgv = []) {
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const pending = new Map();
  child.on('message', ({ id, ok, result, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (ok) p.resolve(result); else p.reject(new Error(`fake host: ${error}`));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`fake host exited (${code})`));
    pending.clear();
  });
  const call = (cmd, args) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    child.send({ id, cmd, args });
  });
  return {
    pid: child.pid,
    call,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('close').catch(() => {});
      await exited;
    },
  };
}

/** Host side: answer the parent's commands with `commands[cmd](args)`; `close` ends the process after answering. */
export function serveHost(commands) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const result = await commands[cmd](args ?? {});
      process.send({ id, ok: true, result });
      if (cmd === 'close') setImmediate(() => process.exit(0));
    } catch (err) {
      process.send({ id, ok: false, error: err instanceof Error ? err.stack : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
