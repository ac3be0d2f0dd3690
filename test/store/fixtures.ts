import { makeCdr, type CdrRecord } from '../../src/cdr/index.js';
import type { StoredNetwork } from '../../src/store/index.js';

/** A plausible answered CDR; every field differs from its default so a dropped column shows. */
export function sampleCdr(flowNo: string, startTime: number, over: Partial<CdrRecord> = {}): CdrRecord {
  return makeCdr({
    flowNo, startTime, answerTime: startTime + 3000, endTime: startTime + 63_000,
    callerAccess: '15551230000', callerBilling: '15551230000', callerGateway: '+15551230000',
    calleeAccess: '0044201234567', calleeBilling: '44201234567', calleeGateway: '9944201234567',
    ingressGateway: 'demo-customer', ingressIp: '10.0.0.1', egressGateway: 'carrier-a', egressIp: '10.0.0.2',
    account: 'acct-1', holdTimeMs: 60_000, billedSeconds: 60, fee: 1_234_567n, ratePrefix: '44',
    vendorCost: 987_654n, vendorAccount: 'vendor-a', endDirection: 0, endReason: 'normal clearing', endReasonText: 'caller hung up',
    callerSipCode: 200, calleeSipCode: 200, callerPdd: 1200, calleePdd: 1100,
    callerCallId: `in-${flowNo}@10.0.0.1`, calleeCallId: `out-${flowNo}@switch`, gatewaysTried: 2,
    codec: 'PCMA', media: { callerPackets: 3000, calleePackets: 2990 },
    ...over,
  });
}

export const NETWORK: StoredNetwork = {
  accounts: [
    { id: 'acct-1', name: 'Demo customer', prepaid: true, balance: '100.5', creditLimit: '0', rateGroup: 'retail', locked: false, capacity: 10, kind: 'customer', expiresAt: '' },
    { id: 'acct-2', name: 'Postpaid', prepaid: false, balance: '-12.0000001', creditLimit: '500', rateGroup: 'wholesale', locked: true, capacity: 0, kind: 'clearing', expiresAt: '2027-01-01T00:00:00Z' },
  ],
  mappingGateways: [{
    name: 'demo-customer', remoteIps: ['127.0.0.1', '10.0.0.1'], account: 'acct-1', locked: false, capacity: 100, cps: 10,
    allowGroups: ['g1'], denyGroups: [], calleeRules: [{ from: '00', to: '' }], callerRules: [],
    strategy: { first: ['g1'], second: [] }, leastCostRouting: true, errorCodes: { 'no-available-router': 404 }, carrierCodes: [{ code: 503, send: 480 }],
  }],
  routingGateways: [{
    name: 'carrier-a', id: 1, address: '127.0.0.1', port: 5080, transport: 'udp', localIp: '', prefixes: [''],
    prefixPriority: 0, priority: 1, weight: 100, groups: ['g1'], locked: false, capacity: 0, cps: 0,
    calleeRules: [], callerRules: [{ from: '1', to: '+1' }],
    timeouts: { invite: 0, trying: 5, sessionProgress: 0, sessionProgressSdp: 0, ringing: 120 }, probeSeconds: 10,
    account: 'acct-2', maxRate: '0.05', minProfitPercent: 10, requireRate: false, switchOnCodes: [503], switchAfterBusy: true,
    schedules: [{ mode: 'deny', prefixes: ['44'], weekdays: ['sat', 'sun'], from: '00:00', to: '24:00' }],
  }],
  rateGroups: ['retail', 'wholesale'],
  rates: [
    { rateGroup: 'retail', prefix: '44', areaName: 'UK', rate: '0.0123', connectionFee: '0', firstPeriod: 6, nextPeriod: 6, effectiveTime: 0, locked: false },
    { rateGroup: 'retail', prefix: '4420', areaName: 'London', rate: '0.01', connectionFee: '0.05', firstPeriod: 60, nextPeriod: 60, effectiveTime: 1_700_000_000_000, locked: false },
  ],
  dialPlans: [{ name: 'strip-00', rules: [{ from: '00', to: '' }] }],
  phones: [{ number: '1001', account: 'acct-1', password: 'secret', locked: false }],
  parameters: { SERVER_QUERY_ONE_PAGE_SIZE: 10000, SS_SIP_RESEND_INTERVAL: [0.5, 1, 2, 4] },
};
