// Rate decks in the config folder (rates/<name>.csv) named by a reload are parsed, validated and
// packed in a worker: the event loop stays free while a 200,000-row deck is read, the group is in
// force after the swap, and a bad or missing deck refuses the reload with the file and line named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig, RATE_DECK_HEADER } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';

const SW = '127.0.0.246';
const network = (rateGroup: string) => ({
  accounts: [{ id: 'acc', prepaid: true, balance: '10.00', rateGroup }],
  mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.247'], account: 'acc' }],
  routingGateways: [{ name: 'carrier', address: '127.0.0.248', port: 5080, prefixes: ['*'] }],
});

let dir: string;
let sw: Softswitch;

before(async () => {
  dir = writeNetworkConfig({ ip: SW, rates: { std: '44,UK,international,0.6,60,60,0,,2020-01-01T00:00:00Z,0\n' }, network: network('std') });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
});

after(async () => {
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

const deck = (name: string, body: string) => writeFileSync(join(dir, 'rates', `${name}.csv`), RATE_DECK_HEADER + body);
const useGroup = (g: string) => writeFileSync(join(dir, 'network.yaml'), stringify(network(g)));

test('a reload that names a 200,000-row deck packs it off the event loop and puts it in force', async () => {
  const rows: string[] = [];
  for (let i = 0; i < 200_000; i++) rows.push(`${3_000_000 + i * 3},Area ${i % 97},international,0.${String(1000 + (i % 9000)).padStart(4, '0')},6,6,0,,2020-01-01T00:00:00Z,0`);
  rows.push('33,France,international,1.2,60,60,0,,2020-01-01T00:00:00Z,0');
  deck('big', `${rows.join('\n')}\n`);
  useGroup('big');
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await sw.reloadNetwork();
  h.disable();
  const maxMs = h.max / 1e6;
  // Loose bound (a 2-core machine shared with other work); parsing 200,000 rows here took ~1 s.
  assert.ok(maxMs < 250, `event loop held ${maxMs.toFixed(0)} ms during the reload`);
  assert.equal(sw.engines!.book.rateGroup('big')!.size, 200_001);
  const t = sw.engines!.book.availableTime('acc', '33123', Date.now());
  assert.ok(t.ok, 'the new group rates the account\'s calls');
  assert.equal(t.ok && t.seconds, 480, '10.00 at 1.20/min, 60/60');
});

test('a bad deck refuses the reload naming the file and line; a missing one names the file; the network in force stays', async () => {
  deck('bad', '44,UK,international,0.6,60,60,0,,2020-01-01T00:00:00Z,0\n45,DK,international,lots,60,60,0,,2020-01-01T00:00:00Z,0\n');
  useGroup('bad');
  await assert.rejects(sw.reloadNetwork(), (e: Error & { code?: string }) => e.code === 'SSW_ERR_CONFIG_INVALID' && /bad\.csv: line 3:/.test(e.message));
  useGroup('nosuch');
  await assert.rejects(sw.reloadNetwork(), (e: Error & { code?: string }) => e.code === 'SSW_ERR_CONFIG_INVALID' && /nosuch\.csv does not exist/.test(e.message));
  assert.equal(sw.config.network.accounts[0]!.rateGroup, 'big');
  assert.equal(sw.engines!.book.rateGroup('bad'), undefined);
});
