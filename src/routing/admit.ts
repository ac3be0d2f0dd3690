/** Customer-side admission: mapping-gateway lock, capacity and CPS, with the caller's SIP code. */
import { mapFailure, type CallerFailure } from './failover.js';
import type { Limiter } from './limiter.js';
import type { MappingGatewayPolicy } from './types.js';

/** Takes a call slot on the mapping gateway, or returns the refusal; release via limiter.release('mapping', name). */
export function admitCall(mapping: MappingGatewayPolicy, limiter: Limiter, nowMono: number): CallerFailure | null {
  if (mapping.locked) return mapFailure('customer-locked', mapping);
  const v = limiter.tryAcquire('mapping', mapping.name, mapping, nowMono);
  if (v === 'capacity-full') return mapFailure('customer-capacity-full', mapping);
  if (v === 'cps-exceeded') return mapFailure('customer-cps-exceeded', mapping);
  return null;
}
