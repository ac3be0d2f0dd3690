/** The SIP room: transports, transactions, the timer wheel, message building and identifiers. */
export { TimerWheel, type Timer } from './timer-wheel.js';
export { TransportLayer, TcpConnection, type Peer, type Inbound, type LocalAddress, type TransportEvents, type TransportCounters } from './transport.js';
export {
  TransactionLayer, ServerTransaction, ClientTransaction, timerConfig,
  type TimerConfig, type TransactionUser, type ClientHandler, type TransactionCounters,
} from './transaction.js';
export { serializeRequest, serializeResponse, reasonFor, REASONS, ALLOW, type OutRequest, type ResponseOptions, type HeaderList } from './build.js';
export { newBranch, newTag, newCallId } from './ids.js';
export { uriHostPort } from './uri.js';
