import type { Kysely } from 'kysely';
import type { CdrMedia, CdrRecord, EndDirection } from '../cdr/record.js';
import type { StoreKind } from './connect.js';

/** Creates one day's CDR table if missing; the DDL of both back ends in one place. */
export async function createCdrTable(db: Kysely<any>, kind: StoreKind, table: string): Promise<void> {
  const s = 'varchar(64)';
  let t = db.schema.createTable(table).ifNotExists();
  t = kind === 'sqlite'
    ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : t.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
  await t
    .addColumn('flow_no', s, (c) => c.notNull().unique())
    .addColumn('caller_access', s, (c) => c.notNull())
    .addColumn('caller_billing', s, (c) => c.notNull())
    .addColumn('caller_gateway', s, (c) => c.notNull())
    .addColumn('callee_access', s, (c) => c.notNull())
    .addColumn('callee_billing', s, (c) => c.notNull())
    .addColumn('callee_gateway', s, (c) => c.notNull())
    .addColumn('ingress_gateway', s, (c) => c.notNull())
    .addColumn('ingress_ip', s, (c) => c.notNull())
    .addColumn('egress_gateway', s, (c) => c.notNull())
    .addColumn('egress_ip', s, (c) => c.notNull())
    .addColumn('account', s, (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('answer_time', 'bigint')
    .addColumn('end_time', 'bigint', (c) => c.notNull())
    .addColumn('hold_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('billed_seconds', 'integer', (c) => c.notNull())
    .addColumn('fee', 'bigint', (c) => c.notNull())
    .addColumn('rate_prefix', 'varchar(32)', (c) => c.notNull())
    .addColumn('vendor_cost', 'bigint', (c) => c.notNull())
    .addColumn('vendor_account', s, (c) => c.notNull())
    .addColumn('end_direction', 'smallint', (c) => c.notNull())
    .addColumn('end_reason', s, (c) => c.notNull())
    .addColumn('end_reason_text', 'varchar(255)', (c) => c.notNull())
    .addColumn('caller_sip_code', 'smallint', (c) => c.notNull())
    .addColumn('callee_sip_code', 'smallint', (c) => c.notNull())
    .addColumn('caller_pdd', 'integer', (c) => c.notNull())
    .addColumn('callee_pdd', 'integer', (c) => c.notNull())
    .addColumn('caller_call_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('callee_call_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('gateways_tried', 'smallint', (c) => c.notNull())
    .addColumn('codec', 'varchar(32)')
    .addColumn('media', 'text')
    .addColumn('server_restart', 'smallint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex(`${table}_start`).ifNotExists().on(table).column('start_time').execute();
  await db.schema.createIndex(`${table}_account`).ifNotExists().on(table).columns(['account', 'start_time']).execute();
}

/** A CDR as a row; money goes as bigint for SQLite and as an exact decimal string for MySQL. */
// Strings are cut to their column's width here, so both back ends store the same thing and a
// long value can never make a batch fail forever (a poison batch would stop the drain).
export const cut = (v: string, n: number): string => (v.length > n ? v.slice(0, n) : v);

export function cdrToRow(r: CdrRecord, kind: StoreKind): Record<string, unknown> {
  const money = kind === 'sqlite' ? (v: bigint) => v : (v: bigint) => v.toString();
  return {
    flow_no: r.flowNo,
    caller_access: cut(r.callerAccess, 64), caller_billing: cut(r.callerBilling, 64), caller_gateway: cut(r.callerGateway, 64),
    callee_access: cut(r.calleeAccess, 64), callee_billing: cut(r.calleeBilling, 64), callee_gateway: cut(r.calleeGateway, 64),
    ingress_gateway: cut(r.ingressGateway, 64), ingress_ip: cut(r.ingressIp, 64), egress_gateway: cut(r.egressGateway, 64), egress_ip: cut(r.egressIp, 64),
    account: cut(r.account, 64), start_time: r.startTime, answer_time: r.answerTime, end_time: r.endTime,
    hold_time_ms: r.holdTimeMs, billed_seconds: r.billedSeconds, fee: money(r.fee), rate_prefix: cut(r.ratePrefix, 32),
    vendor_cost: money(r.vendorCost), vendor_account: cut(r.vendorAccount, 64), end_direction: r.endDirection,
    end_reason: cut(r.endReason, 64), end_reason_text: cut(r.endReasonText, 255),
    caller_sip_code: r.callerSipCode, callee_sip_code: r.calleeSipCode, caller_pdd: r.callerPdd, callee_pdd: r.calleePdd,
    caller_call_id: cut(r.callerCallId, 255), callee_call_id: cut(r.calleeCallId, 255), gateways_tried: r.gatewaysTried,
    codec: r.codec === null ? null : cut(r.codec, 32), media: r.media === null ? null : JSON.stringify(r.media), server_restart: r.serverRestart ? 1 : 0,
  };
}

const num = (v: unknown): number => Number(v);
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** A row read back (either back end: numbers, bigints or strings) as a CdrRecord. */
export function rowToCdr(w: Record<string, unknown>): CdrRecord {
  return {
    flowNo: str(w.flow_no),
    callerAccess: str(w.caller_access), callerBilling: str(w.caller_billing), callerGateway: str(w.caller_gateway),
    calleeAccess: str(w.callee_access), calleeBilling: str(w.callee_billing), calleeGateway: str(w.callee_gateway),
    ingressGateway: str(w.ingress_gateway), ingressIp: str(w.ingress_ip), egressGateway: str(w.egress_gateway), egressIp: str(w.egress_ip),
    account: str(w.account), startTime: num(w.start_time), answerTime: w.answer_time === null ? null : num(w.answer_time),
    endTime: num(w.end_time), holdTimeMs: num(w.hold_time_ms), billedSeconds: num(w.billed_seconds),
    fee: BigInt(w.fee as string | number | bigint), ratePrefix: str(w.rate_prefix),
    vendorCost: BigInt(w.vendor_cost as string | number | bigint), vendorAccount: str(w.vendor_account),
    endDirection: num(w.end_direction) as EndDirection, endReason: str(w.end_reason), endReasonText: str(w.end_reason_text),
    callerSipCode: num(w.caller_sip_code), calleeSipCode: num(w.callee_sip_code),
    callerPdd: num(w.caller_pdd), calleePdd: num(w.callee_pdd),
    callerCallId: str(w.caller_call_id), calleeCallId: str(w.callee_call_id), gatewaysTried: num(w.gateways_tried),
    codec: w.codec === null || w.codec === undefined ? null : String(w.codec),
    media: w.media === null || w.media === undefined ? null : (JSON.parse(String(w.media)) as CdrMedia),
    serverRestart: num(w.server_restart) !== 0,
  };
}

/** Column order of the CSV export (header names are the CdrRecord field names). */
export const CSV_COLUMNS: readonly (keyof CdrRecord)[] = [
  'flowNo', 'startTime', 'answerTime', 'endTime', 'account',
  'callerAccess', 'callerBilling', 'callerGateway', 'calleeAccess', 'calleeBilling', 'calleeGateway',
  'ingressGateway', 'ingressIp', 'egressGateway', 'egressIp',
  'holdTimeMs', 'billedSeconds', 'fee', 'ratePrefix', 'vendorCost', 'vendorAccount',
  'endDirection', 'endReason', 'endReasonText', 'callerSipCode', 'calleeSipCode', 'callerPdd', 'calleePdd',
  'callerCallId', 'calleeCallId', 'gatewaysTried', 'codec', 'serverRestart',
];
