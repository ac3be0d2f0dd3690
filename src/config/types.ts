/**
 * The shape of a loaded, validated configuration. Everything here is deep-frozen after loading;
 * a live change produces a new object (calls in progress keep the one they started with).
 * Loader and validation: ./load.ts. Parameter registry: ./params.ts.
 */

import type { ParamSet } from './params.js';

export type Transport = 'udp' | 'tcp';

export interface ListenAddress {
  /** Local IP to bind (a server may own several). */
  readonly ip: string;
  readonly port: number;
  readonly transports: readonly Transport[];
}

export interface ServerConfig {
  readonly listen: readonly ListenAddress[];
  /** Seconds active calls may continue after SIGTERM/SIGINT before they are torn down. */
  readonly drainSeconds: number;
  /** Largest SIP message accepted on any transport (bytes); larger gets 513 or a dropped frame. */
  readonly maxMessageBytes: number;
  /** Largest request sent over UDP before switching to TCP (RFC 3261 §18.1.1: 1300). */
  readonly udpMtu: number;
  /** Value of the User-Agent / Server header (empty: none). */
  readonly userAgent: string;
  /** Store URL: `sqlite:data/ssw.db` (default) or `mysql://user:pass@host:port/db`. */
  readonly dbUrl: string;
  /** Directory for data files (store, journal, admin token). */
  readonly dataDir: string;
  /** Admin API listen address. */
  readonly adminHost: string;
  readonly adminPort: number;
  /** Log level; absent = SSW_LOG_LEVEL at start, else info. */
  readonly logLevel?: string;
}

/** Ingress: a customer that sends calls in, identified by source IP. */
export interface MappingGateway {
  readonly name: string;
  readonly remoteIps: readonly string[];
  readonly account: string;
  readonly locked: boolean;
  /** RFC 4028 session timers on the caller's leg (absent = on). */
  readonly sessionTimer?: boolean;
  /** Max concurrent calls; 0 = unlimited. */
  readonly capacity: number;
  /** Max new calls per second; 0 = unlimited. */
  readonly cps: number;
  /** Short-call threshold (s) for the carrier's ASR; 0 = off. */
  readonly minCallSeconds?: number;
  /** Longest talk time through this gateway (s); 0 = no cap of its own. */
  readonly maxCallSeconds?: number;
  /** Routing-gateway groups this customer may use; empty = all. */
  readonly allowGroups: readonly string[];
  readonly denyGroups: readonly string[];
  /** Dial-plan rules for the callee/caller ("original" -> "target"), applied before rating. */
  readonly calleeRules: readonly DialRule[];
  readonly callerRules: readonly DialRule[];
  /** Sorting step 1: gateways in a `first` group sort before `second`, then the rest. */
  readonly strategy: { readonly first: readonly string[]; readonly second: readonly string[] };
  /** Sort by vendor rate (cheapest first) where the rate parameters place it. */
  readonly leastCostRouting: boolean;
  /** Error-code replacement per failure reason (routing's EndReason); 0 = the default code. */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Error-code replacement by the last carrier's final code. */
  readonly carrierCodes: readonly { readonly code: number; readonly send: number }[];
}

/** A weekday/time-of-day allow or deny rule on a routing gateway, as written in network.yaml. */
export interface ScheduleConfig {
  readonly mode: 'allow' | 'deny';
  /** Callee prefixes; [] = every number. */
  readonly prefixes: readonly string[];
  /** 'sun'..'sat'; [] = every day. */
  readonly weekdays: readonly string[];
  /** "HH:MM" local time in SSW_TIME_ZONE; `to` is exclusive, "24:00" = end of day. */
  readonly from: string;
  readonly to: string;
}

export interface DialRule {
  readonly from: string;
  readonly to: string;
}

/** Egress: a carrier. */
export interface RoutingGateway {
  readonly name: string;
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
  /** Local IP to send from; must be one of server.listen (empty = the first listen address). */
  readonly localIp: string;
  /** Digit prefixes this gateway takes; "" (written "*" in files) matches every number. */
  readonly prefixes: readonly string[];
  /**
   * VOS3000's prefix mode. continuation ("carry through", the default): when this gateway cannot
   * deliver the call, gateways matching shorter prefixes are tried after it. terminating: they are not.
   */
  readonly prefixStyle?: 'continuation' | 'terminating';
  readonly prefixPriority: number;
  /** Lower value is tried first. */
  readonly priority: number;
  readonly weight: number;
  readonly groups: readonly string[];
  readonly locked: boolean;
  readonly capacity: number;
  readonly cps: number;
  /** Short-call threshold (s) for the carrier's ASR; 0 = off. */
  readonly minCallSeconds?: number;
  /** Longest talk time through this gateway (s); 0 = no cap of its own. */
  readonly maxCallSeconds?: number;
  readonly calleeRules: readonly DialRule[];
  readonly callerRules: readonly DialRule[];
  /** OPTIONS probe interval in seconds; 0 = no probing (the gateway counts as up). */
  readonly probeSeconds: number;
  /** RFC 4028 session timers on the carrier's leg (absent = on). */
  readonly sessionTimer?: boolean;
  /** Per-gateway timeouts in seconds; 0 = use the SS_SIP_TIMEOUT_* parameter. */
  readonly timeouts: {
    readonly invite: number;
    readonly trying: number;
    readonly sessionProgress: number;
    readonly sessionProgressSdp: number;
    readonly ringing: number;
  };
  /** Clearing (vendor) account id whose rate group prices this carrier; '' = none. */
  readonly account: string;
  /** Decimal string; absent = no cap. */
  readonly maxRate?: string;
  /** Percent; absent = off. */
  readonly minProfitPercent?: number;
  readonly requireRate: boolean;
  /** Tri-state switches: absent = follow the system parameter. */
  readonly realtimeQuality?: boolean;
  readonly switchAfterRinging?: boolean;
  readonly switchAfterSdp?: boolean;
  readonly switchAfterRtp?: boolean;
  readonly switchAfterBusy?: boolean;
  /** Failure codes that move to the next gateway; [] = every failure. */
  readonly switchOnCodes: readonly number[];
  readonly schedules: readonly ScheduleConfig[];
}

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly prepaid: boolean;
  /**
   * Money as written in files: a decimal string ("100.00", at most 7 decimals). Billing turns it
   * into integer minor units at SERVER_BILLING_FEE_PRECISION; it is never a float.
   */
  readonly balance: string;
  /** Overdraft allowed below zero, a decimal string like balance. */
  readonly creditLimit: string;
  readonly rateGroup: string;
  readonly locked: boolean;
  /** Concurrent calls over all its gateways; 0 = unlimited. */
  readonly capacity: number;
  /** customer: pays for its calls; clearing: a carrier's (vendor) account. */
  readonly kind: 'customer' | 'clearing';
  /** ISO 8601 date-time from which the account makes no calls; '' = never. */
  readonly expiresAt: string;
  /** Free seconds on listed prefixes, used before money. */
  readonly packages?: readonly AccountPackage[];
}

/** A package of free seconds on an account. */
export interface AccountPackage {
  readonly id: string;
  /** Callee prefixes covered; '' (written "*") = every number. */
  readonly prefixes: readonly string[];
  readonly freeSeconds: number;
  /** ISO 8601 date-time from which it is void; '' = never. */
  readonly expiresAt: string;
}

/** A SIP phone: registers with digest credentials, calls out on its account, is called by its number. */
export interface Phone {
  /** The phone's number: its id, and the callee number that reaches it. */
  readonly number: string;
  /** SIP digest user name (default: the number). */
  readonly username: string;
  /** Digest password as written in the file; the store keeps only its HA1 (`md5:<hex>`). */
  readonly password: string;
  readonly account: string;
  readonly locked: boolean;
  /** Max concurrent calls from and to the phone; 0 = unlimited. */
  readonly capacity: number;
  /** Dial plan for the called number: applied to what the phone dials (before rating) and to the number sent to it. */
  readonly calleeRules: readonly DialRule[];
  /** Dial plan for the calling number of the phone's own calls (before rating). */
  readonly callerRules: readonly DialRule[];
}

export interface NetworkConfig {
  readonly mappingGateways: readonly MappingGateway[];
  readonly routingGateways: readonly RoutingGateway[];
  readonly accounts: readonly Account[];
  readonly phones: readonly Phone[];
}

export interface LoadedConfig {
  readonly dir: string;
  readonly server: ServerConfig;
  /** Parameter values by VOS3000 name, validated through the registry. */
  readonly params: ParamValues;
  /**
   * The same values with typed accessors (num/bool/list...); `with` derives a changed set. These are
   * the values loaded at start: the values in force are the switch's (Softswitch.live.params).
   */
  readonly paramSet: ParamSet;
  /** The parameter names params.yaml sets (where each value in force came from). */
  readonly paramNames?: readonly string[];
  readonly network: NetworkConfig;
}

/** Values of system parameters by name; typed accessors live on ParamSet in ./params.ts. */
export type ParamValue = number | boolean | string | readonly number[] | null;
export type ParamValues = Readonly<Record<string, ParamValue>>;
