/**
 * The GB/T 28181 version tag (2022 edition, Annex I): a device names its edition in `X-GB-Ver` (`1.0` 2011,
 * `2.0` 2016, `3.0` 2022); the platform echoes it in its responses, and sends `3.0` in its own requests to a
 * 2022 device only, since "a higher version must not send what the peer cannot parse". Pure.
 * @module
 */
import type { SipHeaders, SipRequest, SipResponse } from '../sip/message.js';

/** The header's name as written. */
export const GB_VERSION_HEADER = 'X-GB-Ver';

/** The versions Annex I defines, and the edition each names. */
export const GB_VERSIONS = { '1.0': 2011, '2.0': 2016, '3.0': 2022 } as const;

/** A version Annex I defines. */
export type GbVersion = keyof typeof GB_VERSIONS;

/** The GB/T 28181-2022 version. */
export const GB_2022: GbVersion = '3.0';

/** The version a message's `X-GB-Ver` names, or null when absent or not one of {@link GB_VERSIONS}. */
export function gbVersionOf(headers: SipHeaders): GbVersion | null {
  const v = headers.get('x-gb-ver')?.trim();
  return v !== undefined && Object.hasOwn(GB_VERSIONS, v) ? (v as GbVersion) : null;
}

/** Echo the request's `X-GB-Ver` in its response (once; only a version Annex I defines). Returns `res`. */
export function echoGbVersion(req: SipRequest, res: SipResponse): SipResponse {
  const v = gbVersionOf(req.headers);
  if (v !== null && !res.headers.has('x-gb-ver')) res.headers.append(GB_VERSION_HEADER, v);
  return res;
}

/** Headers of a platform request to a device of version `deviceVersion`: `X-GB-Ver: 3.0` to a 2022 device. */
export function platformVersionHeaders(deviceVersion: string | null | undefined): Array<[string, string]> {
  return deviceVersion === GB_2022 ? [[GB_VERSION_HEADER, GB_2022]] : [];
}
