/**
 * Worker entry: the Hono app and the Durable Object classes. No logic here.
 * @module
 */
import { app } from './http/app.js';

export { AorObject } from './objects/aor-object.js';
export { FlowObject } from './objects/flow-object.js';
export { MetricsObject } from './objects/metrics-object.js';
export { GbDirectoryObject } from './objects/gb-directory-object.js';
export { GuardObject } from './objects/guard-object.js';
export { UserDirectoryObject } from './objects/user-directory-object.js';
export default app;
