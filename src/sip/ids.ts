import { randomBytes } from 'node:crypto';

// Identifiers must be unique across restarts and hosts, and cheap: a random per-process prefix
// plus a counter gives both without a syscall per message.
const PROC = randomBytes(6).toString('hex');
let counter = Math.floor(Math.random() * 1e6);

function next(): string {
  counter = (counter + 1) % 0x7fffffff;
  return counter.toString(36);
}

/** A branch with the RFC 3261 magic cookie. */
export function newBranch(): string {
  return `z9hG4bK${PROC}${next()}`;
}

export function newTag(): string {
  return `${PROC.slice(0, 8)}${next()}`;
}

export function newCallId(host: string): string {
  return `${PROC}-${next()}-${(Date.now() % 1e9).toString(36)}@${host}`;
}
