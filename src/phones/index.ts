/** The phones room: SIP phones that register with digest credentials, call out and are called (docs/phones.md). */
export { PhoneService, phoneNotFound, phoneConflict, phoneStoreUnavailable, type PhoneInput, type PhoneSource } from './service.js';
export { PhonePolicy } from './policy.js';
export { Registrar, REGISTER_RESULTS, AUTH_RESULTS, MAX_CONTACTS_PER_PHONE, type Binding, type RegisterResult, type AuthResult, type RegistrarCounters } from './registrar.js';
export { PhoneDirectory, PHONE_GATEWAY_PREFIX, phoneInvalid, ruleWarnings, type PhoneDef, type PhoneEntry } from './directory.js';
export { REALM, ha1Of, md5hex, parseDigest, expectedResponse, NonceBook } from './digest.js';
export { parseContacts } from './contact.js';
