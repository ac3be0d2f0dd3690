/** The CDR room's door: the record type and the durable journal-then-store pipeline. */
export { makeCdr, END_REASON_SERVER_RESTART, type CdrRecord, type CdrMedia, type EndDirection, type LedgerChange } from './record.js';
export { CdrPipeline, openCdrPipeline, lazySink, type CdrPipelineOptions, type CdrSink, type WriteOptions } from './pipeline.js';
export { decodeEntry, type CheckpointState } from './codec.js';
export { Journal, type JournalOptions } from './journal.js';
export { CdrErrors } from './errors.js';
