/**
 * GB/T 28181 protocol layer: IDs, charsets, MANSCDP bodies, PTZ commands, Catalog
 * reassembly, live-view SDP and timestamps. Pure functions over data; no I/O.
 * @module
 */

export * from './ids.js';
export * from './charset.js';
export * from './manscdp.js';
export * from './ptz.js';
export * from './catalog.js';
export * from './sdp.js';
export * from './date.js';
export * from './broadcast.js';
