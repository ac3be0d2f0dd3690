import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config/index.js';
import { openStore, resolveStoreUrl } from '../store/index.js';

/**
 * `ssw store import|export`: moves the network (accounts, gateways, dial plans) between the config
 * files and the store named by server.yaml / SSW_DB_URL. Runs on the store directly, not the API.
 */
export function addStoreCommands(program: Command, out: (s: string) => void): void {
  const store = program.command('store').description('move the network between config files and the store');
  store.command('import').description('write config/network.yaml (or --config) into the store; balances already stored are kept')
    .option('--config <dir>', 'configuration folder (default $SSW_CONFIG or config/)')
    .action(async (o: { config?: string }) => {
      const cfg = loadConfig(o.config);
      const s = await openStore(resolveStoreUrl(cfg.server.dbUrl));
      try {
        // Balances live in the store (calls debit them); files only seed accounts that are new.
        const stored = new Map((await s.exportNetwork()).accounts.map((a) => [a.id, a.balance]));
        const accounts = cfg.network.accounts.map((a) => (stored.has(a.id) ? { ...a, balance: stored.get(a.id)! } : a));
        await s.importNetwork({ ...cfg.network, accounts });
        out(`imported ${accounts.length} account(s), ${cfg.network.mappingGateways.length} mapping and ${cfg.network.routingGateways.length} routing gateway(s) into ${cfg.server.dbUrl.replace(/:[^:@/]*@/, ':***@')}\n`);
      } finally {
        await s.close();
      }
    });
  store.command('export').description('write the network held in the store as network.yaml (stdout, or --out FILE)')
    .option('--config <dir>', 'configuration folder naming the store (default $SSW_CONFIG or config/)')
    .option('--out <file>', 'file to write instead of stdout')
    .action(async (o: { config?: string; out?: string }) => {
      const cfg = loadConfig(o.config);
      const s = await openStore(resolveStoreUrl(cfg.server.dbUrl));
      try {
        const n = await s.exportNetwork();
        const yaml = `# exported from the store on ${new Date().toISOString()}\n${stringify({ accounts: n.accounts, mappingGateways: n.mappingGateways, routingGateways: n.routingGateways })}`;
        if (o.out) writeFileSync(o.out, yaml);
        else out(yaml);
      } finally {
        await s.close();
      }
    });
}
