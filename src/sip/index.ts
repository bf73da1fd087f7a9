/**
 * Public API of the pure SIP codec.
 * @module
 */

export * from './message.js';
export * from './params.js';
export * from './uri.js';
export * from './name-addr.js';
export * from './via.js';
export * from './cseq.js';
export * from './token.js';
export * from './auth-header.js';
export * from './status.js';
export * from './errors.js';
export * from './parse.js';
export * from './validate.js';
export * from './serialize.js';
export * from './response.js';
