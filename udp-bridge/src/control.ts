/**
 * Control frames from the Worker (the liveness limit): the contract lives in `src/transport/liveness.ts`,
 * shared with the Worker; the bridge uses it through this module.
 * @module
 */
export {
  CLOSE_KEEPALIVE_TIMEOUT,
  KEEPALIVE_TIMEOUT_REASON,
  MAX_LIVENESS_TIMEOUT_MS,
  isControlFrame,
  parseControlFrame,
  livenessFrame,
  type ControlFrame,
  type ControlResult,
} from '../../src/transport/liveness.js';
