import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/test/helpers/process.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface SwitchProcess {
  child: ChildProcess;
  /** Everything the process printed. */
  output(): string;
  /** Sends SIGTERM (or another signal) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `node dist/src/main.js` on a config folder and waits until SIP is listening. */
export async function spawnSwitch(configDir: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<SwitchProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    // Info level is quiet (nothing per message) and carries the readiness line.
    env: { ...process.env, SSW_CONFIG: configDir, ...env, SSW_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switch did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('SIP listening')) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`switch exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    child,
    exited,
    output: () => out,
    async stop(signal = 'SIGTERM', stopTimeout = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), stopTimeout);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
