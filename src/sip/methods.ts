/**
 * The one table of SIP methods this service knows: what it answers or relays (`Allow`, RFC 3261 §20.5),
 * which requests create a dialog and so get Record-Route (RFC 3261 §16.6 step 4, RFC 6665 for SUBSCRIBE
 * and NOTIFY, RFC 3515 for REFER), and the bounded label set of the metrics.
 * @module
 */

interface MethodTraits {
  /** Answered or relayed here (listed in `Allow`). */
  allowed: boolean;
  /** Creates a dialog: the proxy Record-Routes it. */
  createsDialog: boolean;
}

const METHODS: Record<string, MethodTraits> = {
  REGISTER: { allowed: true, createsDialog: false },
  OPTIONS: { allowed: true, createsDialog: false },
  INVITE: { allowed: true, createsDialog: true },
  ACK: { allowed: true, createsDialog: false },
  BYE: { allowed: true, createsDialog: false },
  CANCEL: { allowed: true, createsDialog: false },
  MESSAGE: { allowed: true, createsDialog: false },
  INFO: { allowed: true, createsDialog: false },
  UPDATE: { allowed: true, createsDialog: false },
  PRACK: { allowed: true, createsDialog: false },
  REFER: { allowed: true, createsDialog: true },
  NOTIFY: { allowed: true, createsDialog: true },
  SUBSCRIBE: { allowed: true, createsDialog: true },
  // Known (a metrics label) but not served: there is no presence agent here.
  PUBLISH: { allowed: false, createsDialog: false },
};

/** The `Allow` header value. */
export const ALLOW = Object.entries(METHODS).filter(([, t]) => t.allowed).map(([m]) => m).join(', ');

/** Whether a request of this method creates a dialog (and so is Record-Routed). */
export function createsDialog(method: string): boolean {
  return METHODS[method]?.createsDialog ?? false;
}

/** Method as a metric label: the known methods, else `other` (bounded cardinality). */
export function methodLabel(method: string): string {
  return Object.hasOwn(METHODS, method) ? method : 'other';
}

/** What the service answers an OPTIONS to itself with (RFC 3261 §11.2). */
export const CAPABILITIES: Array<[string, string]> = [
  ['Allow', ALLOW],
  ['Accept', 'application/sdp, text/plain, application/MANSCDP+xml'],
  ['Supported', 'path, outbound'],
];
