/**
 * Whether a process with this pid exists on this machine. Signal 0 only checks: EPERM means it
 * exists but belongs to someone else (alive); any other error (ESRCH) means it is gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
