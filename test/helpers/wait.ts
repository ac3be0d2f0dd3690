/** Polls `f` until it gives a truthy value (returned), or fails naming `what` after `ms`. */
export async function waitFor<T>(f: () => T | undefined | null | false, ms: number, what: string, everyMs = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
