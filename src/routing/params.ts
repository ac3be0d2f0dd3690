/** Routing parameters: names, reference defaults, and a reader over a plain record. */
import type { ParamReader } from './types.js';

/** Defaults from VOS3000-REFERENCE §3/§4 (null = "None"). */
export const ROUTING_PARAM_DEFAULTS: Readonly<Record<string, number | boolean | string | null>> = Object.freeze({
  SS_GATEWAY_ASR_CALCULATE: false,
  SS_GATEWAY_ASR_RESERVE_TIME: 600,
  SS_GATEWAY_ASR_RESERVE_SEPARATE: 10,
  SS_GATEWAYASRROUTESORTCONFIG: 'before line usage',
  SS_GATEWAY_ACD_CALCULATE: false,
  SS_GATEWAY_ACD_RESERVE_TIME: 600,
  SS_GATEWAY_ACD_RESERVE_SEPARATE: 10,
  SS_GATEWAYFEERATEROUTESORTCONFIG: 'before line usage',
  SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR: false,
  SS_GATEWAY_QUALITY_RESERVE_TIME: 600,
  SS_GATEWAY_QUALITY_RESERVE_SEPARATE: 10,
  SS_GATEWAY_SWITCH_LIMIT: null,
  SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START: true,
  SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: true,
  SS_GATEWAY_SWITCH_UNTIL_CONNECT: false,
  SS_SIP_STOP_SWITCH_AFTER_SDP: true,
  SS_SIP_TIMEOUT_INVITE: 10,
  SS_SIP_TIMEOUT_TRYING: 20,
  SS_SIP_TIMEOUT_RINGING: 120,
  SS_SIP_TIMEOUT_SESSION_PROGRESS: 20,
  SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP: 120,
  SS_MAX_CALL_DURATION: null,
});

/** A ParamReader over `values`, falling back to ROUTING_PARAM_DEFAULTS; unknown names throw. */
export function paramReader(values: Readonly<Record<string, unknown>> = {}): ParamReader {
  const get = (name: string): unknown => {
    if (name in values) return values[name];
    if (name in ROUTING_PARAM_DEFAULTS) return ROUTING_PARAM_DEFAULTS[name];
    throw new TypeError(`unknown parameter ${name}`);
  };
  return {
    num: (n) => Number(get(n)),
    bool: (n) => get(n) === true || get(n) === 'On' || get(n) === 'on',
    str: (n) => String(get(n)),
    numOrNull: (n) => { const v = get(n); return v === null || v === undefined || v === 'None' ? null : Number(v); },
  };
}

/** True when a "...ROUTESORTCONFIG" value places the key before line usage (else before gateway id). */
export function sortsBeforeLineUsage(value: string): boolean {
  return !/gateway\s*id/i.test(value);
}
