import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { AdminClient } from './client.js';
import { keyValues, table } from './table.js';

export interface NetworkCommandDeps {
  client(): AdminClient;
  print(data: unknown, human: () => string): void;
}

const enc = encodeURIComponent;

/** A command line the CLI cannot turn into a request (exit code 2, like a usage error). */
export class UsageError extends Error {}

/** The entities the admin API changes live, by the CLI's words. */
const KINDS = {
  mapping: { path: 'mapping-gateways', key: 'name', noun: 'mapping gateway' },
  routing: { path: 'routing-gateways', key: 'name', noun: 'routing gateway' },
  account: { path: 'accounts', key: 'id', noun: 'account' },
} as const;
type Kind = keyof typeof KINDS;

function kindOf(word: string): Kind {
  const k = word.replace(/s$/, '').replace(/-gateway$/, '') as Kind;
  if (!(k in KINDS)) throw new UsageError(`unknown kind ${JSON.stringify(word)}; allowed: mapping, routing, account`);
  return k;
}

/**
 * The body of a create or change: a YAML or JSON file (`--file`, the same fields as network.yaml's
 * entries) and/or `field=value` pairs, each value read as YAML (so `capacity=30`, `locked=true`,
 * `prefixes=[44,33]` and `address=10.0.0.1` all mean what they look like).
 */
async function bodyOf(file: string | undefined, pairs: readonly string[]): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(await readFile(file, 'utf8')) as unknown;
    } catch (err) {
      throw new UsageError(`${file}: ${(err as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file}: expected one entry (a mapping of fields), got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
    Object.assign(body, doc);
  }
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`${JSON.stringify(p)}: expected field=value`);
    const raw = p.slice(eq + 1);
    let v: unknown;
    try {
      v = parseYaml(raw === '' ? '""' : raw) as unknown;
    } catch {
      v = raw;
    }
    // A number that is really an identifier or digits string (an IP, a prefix) stays text where YAML would change it.
    body[p.slice(0, eq)] = typeof v === 'number' && String(v) !== raw ? raw : v;
  }
  return body;
}

function rowsOf(kind: Kind, items: any[]): string {
  if (kind === 'account') {
    return table(['ID', 'KIND', 'PREPAID', 'RATE GROUP', 'CAPACITY', 'LOCKED', 'EXPIRES'], items.map((a) => [a.id, a.kind, a.prepaid ? 'yes' : 'no', a.rateGroup || '-', a.capacity || '-', a.locked ? 'yes' : '', a.expiresAt || '-']));
  }
  if (kind === 'mapping') {
    return table(['NAME', 'ACCOUNT', 'REMOTE IPS', 'CAPACITY', 'CPS', 'MAX S', 'LOCKED'], items.map((m) => [m.name, m.account, (m.remoteIps ?? []).join(','), m.capacity || '-', m.cps || '-', m.maxCallSeconds || '-', m.locked ? 'yes' : '']));
  }
  return table(['ID', 'NAME', 'ADDRESS', 'PREFIXES', 'PRIO', 'CAPACITY', 'CPS', 'MAX S', 'LOCKED'], items.map((r) => [
    r.id, r.name, `${r.address}:${r.port}/${r.transport}`, (r.prefixes ?? []).join(',') || '*', r.priority, r.capacity || '-', r.cps || '-', r.maxCallSeconds || '-', r.locked ? 'yes' : '',
  ]));
}

/**
 * `ssw network ...`: gateways and accounts changed live through the admin API (kept in the store
 * and laid over network.yaml), reload, and the list of stored changes; `ssw phones ...`.
 */
export function addNetworkCommands(program: Command, d: NetworkCommandDeps): void {
  const net = program.command('network').description('gateways and accounts, changed live (stored, laid over network.yaml)');
  const pairsHelp = 'field=value pairs (values read as YAML), after or instead of --file';

  net.command('list <kind>').description('every mapping|routing gateway or account in force')
    .action(async (word: string) => {
      const k = kindOf(word);
      const r = await d.client().request('GET', `/api/v1/${KINDS[k].path}`);
      d.print(r, () => rowsOf(k, r.items) + `${r.items.length} ${KINDS[k].noun}(s)\n`);
    });
  net.command('show <kind> <name>').description('one gateway or account in full')
    .action(async (word: string, name: string) => {
      const k = kindOf(word);
      // The API reads single gateways; an account comes from the list (its balance: ssw account).
      const item = k === 'account'
        ? ((await d.client().request('GET', `/api/v1/${KINDS[k].path}`)).items as any[]).find((a) => a.id === name)
        : await d.client().request('GET', `/api/v1/${KINDS[k].path}/${enc(name)}`);
      if (!item) throw new UsageError(`no account ${JSON.stringify(name)}`);
      d.print(item, () => keyValues(Object.fromEntries(Object.entries(item).map(([key, v]) => [key, typeof v === 'object' ? JSON.stringify(v) : String(v)]))));
    });
  net.command('add <kind> [pairs...]').description('create a gateway or account (checked like network.yaml, in force for the next call)')
    .option('--file <path>', 'YAML/JSON file with the entry\'s fields')
    .addHelpText('after', `\n  pairs: ${pairsHelp}\n  e.g. ssw network add routing name=carrier-c address=192.0.2.7 port=5060 prefixes=[44,33]\n`)
    .action(async (word: string, pairs: string[], o: { file?: string }) => {
      const k = kindOf(word);
      const body = await bodyOf(o.file, pairs);
      const r = await d.client().request('POST', `/api/v1/${KINDS[k].path}`, body);
      d.print(r, () => `${KINDS[k].noun} ${String(body[KINDS[k].key])} created (network generation ${r.generation})\n`);
    });
  net.command('set <kind> <name> [pairs...]').description('change some fields of a gateway or account (the rest stay)')
    .option('--file <path>', 'YAML/JSON file with the fields to change')
    .option('--replace', 'replace the whole entry (fields left out take their defaults)')
    .action(async (word: string, name: string, pairs: string[], o: { file?: string; replace?: boolean }) => {
      const k = kindOf(word);
      const body = await bodyOf(o.file, pairs);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give field=value pairs or --file');
      const r = await d.client().request(o.replace ? 'PUT' : 'PATCH', `/api/v1/${KINDS[k].path}/${enc(name)}`, body);
      d.print(r, () => `${KINDS[k].noun} ${name} changed (network generation ${r.generation})\n`);
    });
  net.command('remove <kind> <name>').description('delete a gateway or account (refused while something refers to it)')
    .action(async (word: string, name: string) => {
      const k = kindOf(word);
      const r = await d.client().request('DELETE', `/api/v1/${KINDS[k].path}/${enc(name)}`);
      d.print(r, () => `${KINDS[k].noun} ${name} deleted (network generation ${r.generation})\n`);
    });
  net.command('reload').description('re-read network.yaml, lay the stored changes over it, validate, swap in')
    .action(async () => {
      const r = await d.client().request('POST', '/api/v1/network/reload');
      d.print(r, () => `network generation ${r.generation}: ${r.mappingGateways} mapping gateway(s), ${r.routingGateways} routing gateway(s), ${r.accounts} account(s)\n`);
    });
  net.command('changes').description('the changes made through the API and kept in the store, oldest first')
    .action(async () => {
      const r = await d.client().request('GET', '/api/v1/network/changes');
      d.print(r, () => table(['SEQ', 'KIND', 'NAME', 'CHANGE'], (r.changes as any[]).map((c) => [c.seq, c.kind, c.name, c.deleted ? 'deleted' : JSON.stringify(c.body)])));
    });

  const phones = program.command('phones').description('phones: list, add, change, remove, registrations');
  phones.command('list', { isDefault: true }).description('every phone with its registration state')
    .action(async () => {
      const r = await d.client().request('GET', '/api/v1/phones');
      d.print(r, () => table(['NUMBER', 'USER', 'ACCOUNT', 'SOURCE', 'REGISTERED', 'CONTACTS', 'CALLS', 'LOCKED'], (r.phones as any[]).map((p) => [
        p.number, p.username, p.account, p.source, p.registered ? 'yes' : 'no', p.contacts, p.activeCalls, p.locked ? 'yes' : '',
      ])));
    });
  phones.command('add [pairs...]').description('create a phone (number, username, password, account, rules)')
    .option('--file <path>', 'YAML/JSON file with the phone\'s fields')
    .action(async (pairs: string[], o: { file?: string }) => {
      const body = await bodyOf(o.file, pairs);
      if (typeof body.number === 'number') body.number = String(body.number);
      const r = await d.client().request('POST', '/api/v1/phones', body);
      d.print(r, () => `phone ${String(r.number ?? body.number)} created\n`);
    });
  phones.command('set <number> [pairs...]').description('change some fields of a phone')
    .option('--file <path>', 'YAML/JSON file with the fields to change')
    .action(async (number: string, pairs: string[], o: { file?: string }) => {
      const body = await bodyOf(o.file, pairs);
      const r = await d.client().request('PATCH', `/api/v1/phones/${enc(number)}`, body);
      d.print(r, () => `phone ${number} changed\n`);
    });
  phones.command('remove <number>').description('delete a phone made through the API')
    .action(async (number: string) => {
      const r = await d.client().request('DELETE', `/api/v1/phones/${enc(number)}`);
      d.print(r, () => `phone ${number} deleted\n`);
    });
  phones.command('registrations <number>').description('the phone\'s current contacts')
    .action(async (number: string) => {
      const r = await d.client().request('GET', `/api/v1/phones/${enc(number)}/registrations`);
      d.print(r, () => table(['CONTACT', 'EXPIRES IN (S)', 'SOURCE', 'USER AGENT'], (r.contacts as any[]).map((c) => [c.uri, c.expiresIn, `${c.sourceIp}:${c.sourcePort}/${c.transport}`, c.userAgent ?? ''])));
    });
}
