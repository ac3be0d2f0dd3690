import dgram from 'node:dgram';

/**
 * A raw UDP SIP client: sends bytes and collects the datagrams that come back for a while.
 * For what the npm `sip` package hides (it turns a 503 into a search for the next address).
 */
export async function rawExchange(local: string, dest: string, destPort: number, text: string, waitMs = 500, untilFinal = true): Promise<string[]> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  await new Promise<void>((r) => s.bind(0, local, () => r()));
  const port = s.address().port;
  const done = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, waitMs);
    s.on('message', (b) => {
      const m = b.toString('latin1');
      got.push(m);
      const st = /^SIP\/2\.0 (\d{3})/.exec(m);
      if (untilFinal && st && Number(st[1]) >= 200) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  s.send(text.replace(/\{port\}/g, String(port)), destPort, dest);
  await done;
  s.close();
  return got;
}

let seq = 0;
/** A minimal INVITE text; `{port}` is replaced by the sending socket's port. */
export function rawInvite(from: string, to: string, toPort: number, callee: string): string {
  const id = `raw-${process.pid}-${++seq}`;
  return `INVITE sip:${callee}@${to}:${toPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${from}:{port};branch=z9hG4bK${id};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:1000@${from}>;tag=${id}\r\nTo: <sip:${callee}@${to}>\r\nCall-ID: ${id}\r\nCSeq: 1 INVITE\r\nContact: <sip:1000@${from}:{port}>\r\nContent-Length: 0\r\n\r\n`;
}

export function statusOf(m: string): number {
  const st = /^SIP\/2\.0 (\d{3})/.exec(m);
  return st ? Number(st[1]) : 0;
}
