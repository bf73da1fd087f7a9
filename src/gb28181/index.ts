/**
 * GB/T 28181 protocol layer: IDs, charsets, MANSCDP bodies, PTZ commands, Catalog
 * reassembly, live-view SDP, timestamps, subscriptions and what they notify (catalog changes, alarms,
 * positions). Pure functions over data; no I/O.
 * @module
 */

export * from './ids.js';
export * from './charset.js';
export * from './manscdp.js';
export * from './ptz.js';
export * from './catalog.js';
export * from './sdp.js';
export * from './date.js';
export * from './subscription.js';
export * from './catalog-notify.js';
export * from './alarm.js';
export * from './position.js';
export * from './broadcast.js';
