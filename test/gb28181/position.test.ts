import { describe, expect, it } from 'vitest';
import { parseManscdp } from '../../src/gb28181/manscdp.js';
import { mobilePositionNotify, positionChanged } from '../../src/gb28181/position.js';

function parsed(xml: string) {
  const m = parseManscdp(xml);
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

const body = (fields: string) => `<Notify><CmdType>MobilePosition</CmdType><SN>3</SN><DeviceID>34020000001380000001</DeviceID>${fields}</Notify>`;

describe('Notify/MobilePosition (GB/T 28181 A.2.5.6)', () => {
  it('reads time, longitude, latitude, speed, direction and altitude', () => {
    const p = mobilePositionNotify(parsed(body('<Time>2024-05-20T10:15:30</Time><Longitude>118.376</Longitude><Latitude>31.326</Latitude><Speed>42.5</Speed><Direction>270</Direction><Altitude>12</Altitude>')), 7);
    expect(p).toEqual({ ok: true, value: {
      deviceId: '34020000001380000001', time: '2024-05-20T10:15:30', longitude: 118.376, latitude: 31.326, speed: 42.5, direction: 270, altitude: 12, receivedAt: 7,
    } });
  });

  it('needs a longitude and latitude in range', () => {
    expect(mobilePositionNotify(parsed(body('<Latitude>31</Latitude>')), 0).ok).toBe(false);
    expect(mobilePositionNotify(parsed(body('<Longitude>181</Longitude><Latitude>31</Latitude>')), 0).ok).toBe(false);
    expect(mobilePositionNotify(parsed(body('<Longitude>118</Longitude><Latitude>-91</Latitude>')), 0).ok).toBe(false);
    expect(mobilePositionNotify(parsed(body('<Longitude>east</Longitude><Latitude>31</Latitude>')), 0).ok).toBe(false);
  });

  it('counts a change by what was reported, not by when it arrived', () => {
    const p = mobilePositionNotify(parsed(body('<Time>t</Time><Longitude>1</Longitude><Latitude>2</Latitude>')), 1);
    if (!p.ok) throw new Error(p.error);
    expect(positionChanged(null, p.value)).toBe(true);
    expect(positionChanged(p.value, { ...p.value, receivedAt: 2 })).toBe(false);
    expect(positionChanged(p.value, { ...p.value, latitude: 2.5 })).toBe(true);
  });
});
