/** Host and port of a sip/sips URI (port 0 when absent). */
export function uriHostPort(uri: string): { host: string; port: number } | null {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?/i.exec(uri);
  if (!m) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 0 };
}
