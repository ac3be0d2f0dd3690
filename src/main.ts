#!/usr/bin/env node
import { loadConfig } from './config/index.js';
import { Softswitch } from './switch.js';
import { startAdmin, type AdminServer } from './admin/index.js';
import { logger } from './util/log.js';
import { isSswError } from './util/errors.js';

/** `npm start`: load config/ (or SSW_CONFIG), start the switch, drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let sw: Softswitch;
  let admin: AdminServer | null = null;
  try {
    const cfg = loadConfig();
    sw = new Softswitch(cfg);
    // Admin first: it re-applies persisted parameter overrides before the first call arrives.
    admin = await startAdminOrWarn(sw);
    await sw.start();
  } catch (err) {
    await admin?.close();
    if (isSswError(err)) {
      // Configuration and bind errors: one clear line naming file, field and allowed values.
      process.stderr.write(`ssw: ${err.code}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, activeCalls: sw.b2bua.calls.size, drainSeconds: sw.live.server.drainSeconds }, 'draining: new calls get 503');
    sw.stop().then(
      async () => {
        await admin?.close();
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  // Live network changes: SIGHUP or an edit of network.yaml re-reads it; a bad file keeps the
  // network in force and says why (POST /api/v1/network/reload does the same over the API).
  const reloaded = (r: { ok: true; swap: object } | { ok: false; error: Error }) => {
    if (r.ok) logger.info(r.swap, 'network reloaded');
    else logger.error({ code: isSswError(r.error) ? r.error.code : undefined, err: r.error.message }, 'network reload refused; the network in force stays');
  };
  // params.yaml and server.yaml the same way (POST /api/v1/parameters/reload, /api/v1/server/reload):
  // LiveConfig logs what it applied and what waits for a restart; a refusal is logged here.
  const refused = (file: string, error: Error) =>
    logger.error({ file, code: isSswError(error) ? error.code : undefined, err: error.message }, `${file} reload refused; the values in force stay`);
  const reloadSettings = () => {
    for (const [file, reload] of [['params.yaml', () => sw.live.reloadParams()], ['server.yaml', () => sw.live.reloadServer()]] as const) {
      try {
        reload();
      } catch (err) {
        refused(file, err as Error);
      }
    }
  };
  process.on('SIGHUP', () => {
    reloadSettings();
    sw.reloadNetwork().then((swap) => reloaded({ ok: true, swap }), (error: Error) => reloaded({ ok: false, error }));
  });
  sw.watchNetworkFile(reloaded);
  sw.live.watch((r) => {
    if (!r.ok) refused(r.file, r.error);
  });
  logger.info({ dir: sw.config.dir }, 'watching network.yaml, params.yaml and server.yaml for changes (SIGHUP re-reads all three)');
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** The admin API on server.yaml's adminHost/adminPort; a busy port leaves SIP running, loudly logged. */
async function startAdminOrWarn(sw: Softswitch): Promise<AdminServer | null> {
  const s = sw.config.server;
  try {
    return await startAdmin(sw, { host: s.adminHost, port: s.adminPort, dataDir: s.dataDir });
  } catch (err) {
    // Calls matter more than the management plane: only a bind failure is survivable.
    if (isSswError(err) && err.code === 'SSW_ERR_ADMIN_BIND') {
      logger.error({ code: err.code, err: err.message }, 'admin API not started; SIP continues without it');
      return null;
    }
    throw err;
  }
}

void main();
