// Door of the wasm room: the typed wrappers, one per WASM module.
export { SipParser, SipMessage, HEADER_NAMES, COMPACT_FORMS } from './sip.js';
export type { ParseResult, Via, NameAddr, SipUri } from './sip.js';
