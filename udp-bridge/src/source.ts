/**
 * A device's UDP source address and its string form, the key of its flow and the `x-bridge-source` header.
 * @module
 */

/** A device's observed source address. */
export interface Source {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/**
 * The `x-bridge-source` form of an address: `ip:port`, IPv6 as `[addr]:port`, IPv4-mapped IPv6 as plain IPv4.
 */
export function sourceKey(s: Source): string {
  const address = sourceIp(s);
  return address.includes(':') ? `[${address}]:${s.port}` : `${address}:${s.port}`;
}

/**
 * The IP of an address as the per-IP flow limits count it: IPv4-mapped IPv6 as plain IPv4, no IPv6 zone,
 * no brackets. One IPv6 host with many addresses counts once per address.
 */
export function sourceIp(s: Source): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s.address);
  if (mapped !== null) return mapped[1]!;
  // A link-local zone (`fe80::1%eth0`) means nothing to the Worker and its address parser refuses it.
  return s.address.replace(/%.*$/, '');
}
