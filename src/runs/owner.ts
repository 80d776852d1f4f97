import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Run stores open in this process, by owner name: a same-pid owner is alive only while listed. */
const openHere = new Set<string>();

/**
 * `host:pid#instance`, written on every run a store instance starts. The pid lets another
 * process on this host see whether we are alive; the instance tells a restarted app in the same
 * process (or a container that reused host and pid) from the one that wrote the old rows.
 */
export function newOwner(): string {
  const owner = `${hostname()}:${process.pid}#${randomBytes(3).toString('hex')}`;
  openHere.add(owner);
  return owner;
}

/** At close: runs still marked with `owner` belong to no one now. */
export function ownerClosed(owner: string): void {
  openHere.delete(owner);
}

/**
 * Whether the process that started a run may still be running it. A run from another host is
 * assumed alive: we cannot tell, and marking a live run failed would be worse than waiting.
 */
export function ownerAlive(owner: string | null): boolean {
  if (!owner) return false;
  const hash = owner.indexOf('#');
  const hostPid = hash === -1 ? owner : owner.slice(0, hash);
  const at = hostPid.lastIndexOf(':');
  const host = hostPid.slice(0, at);
  const pid = Number(hostPid.slice(at + 1));
  if (host !== hostname()) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return openHere.has(owner);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
