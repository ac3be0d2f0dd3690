#!/usr/bin/env node
import { loadConfig } from './config/index.js';
import { Softswitch } from './switch.js';
import { logger } from './util/log.js';
import { isSswError } from './util/errors.js';

/** `npm start`: load config/ (or SSW_CONFIG), start the switch, drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let sw: Softswitch;
  try {
    const cfg = loadConfig();
    sw = new Softswitch(cfg);
    await sw.start();
  } catch (err) {
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
    logger.info({ signal, activeCalls: sw.b2bua.calls.size, drainSeconds: sw.config.server.drainSeconds }, 'draining: new calls get 503');
    sw.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
