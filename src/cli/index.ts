/** The CLI room: `ssw`, a command line over the admin API. */
export { runCli, type CliIo } from './program.js';
export { AdminClient, ApiError, resolveToken, type ClientOptions } from './client.js';
export { table, keyValues } from './table.js';
