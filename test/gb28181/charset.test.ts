import { describe, expect, it } from 'vitest';
import { contentTypeCharset, decodeBody, encodeBody, prologEncoding } from '../../src/gb28181/charset.js';
import { fixtureMessage } from './fixtures.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('body charsets', () => {
  it('decodes the GB2312 Catalog response body (1061 bytes) to Chinese channel names', () => {
    const msg = fixtureMessage('07-catalog-response.gb2312.sip');
    expect(msg.body.length).toBe(1061);
    const text = decodeBody(msg.body);
    expect(text).toContain('<Name>大门口</Name>');
    expect(text).toContain('<Name>停车场</Name>');
    expect(new TextEncoder().encode(text).length).toBe(1067);
  });

  it('prefers UTF-8 when the bytes are valid UTF-8 even if the prolog says GB2312', () => {
    const xml = '<?xml version="1.0" encoding="GB2312"?><Name>大门口</Name>';
    expect(decodeBody(new TextEncoder().encode(xml))).toBe(xml);
  });

  it('falls back to GB18030 when a body labelled UTF-8 is not valid UTF-8', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Name>停车场</Name>';
    expect(decodeBody(encodeBody(xml, 'GB2312'), 'UTF-8')).toBe(xml);
  });

  it('uses a Content-Type charset the runtime knows as the fallback decoder', () => {
    const big5 = new Uint8Array([0xa4, 0xa4]); // 中 in Big5
    expect(decodeBody(big5, 'Big5')).toBe('中');
    expect(decodeBody(big5, 'no-such-charset')).not.toBe('中');
  });

  it('never throws on garbage bytes', () => {
    expect(() => decodeBody(new Uint8Array([0xff, 0xfe, 0x81]))).not.toThrow();
  });

  it('reads the encoding of the XML declaration', () => {
    expect(prologEncoding(ascii('<?xml version="1.0" encoding="GB2312"?>\r\n<a/>'))).toBe('GB2312');
    expect(prologEncoding(ascii("\r\n<?xml version='1.0' encoding = 'gbk' ?><a/>"))).toBe('gbk');
    expect(prologEncoding(ascii('<?xml version="1.0"?><a/>'))).toBeUndefined();
    expect(prologEncoding(ascii('<a>encoding="x"</a>'))).toBeUndefined();
  });

  it('reads the charset parameter of a Content-Type', () => {
    expect(contentTypeCharset('Application/MANSCDP+xml; charset="GB2312"')).toBe('GB2312');
    expect(contentTypeCharset('Application/MANSCDP+xml;Charset=UTF-8')).toBe('UTF-8');
    expect(contentTypeCharset('Application/MANSCDP+xml')).toBeUndefined();
    expect(contentTypeCharset(undefined)).toBeUndefined();
  });

  it('encodes Chinese text to the same GB2312 bytes as the vector', () => {
    expect([...encodeBody('大门口', 'GB2312')]).toEqual([0xb4, 0xf3, 0xc3, 0xc5, 0xbf, 0xda]);
    expect([...encodeBody('停车场', 'GB18030')]).toEqual([0xcd, 0xa3, 0xb3, 0xb5, 0xb3, 0xa1]);
  });

  it('round-trips Chinese text through GB2312 and UTF-8', () => {
    const text = '<Name>浙江省杭州市西湖区 Gate-1 & 监控点 №3</Name>';
    expect(decodeBody(encodeBody(text, 'GB2312'))).toBe(text);
    expect(decodeBody(encodeBody(text, 'UTF-8'))).toBe(text);
  });

  it('round-trips GBK-only characters that are outside GB2312', () => {
    const text = '镕堃喆'; // common in names, missing from GB2312 (WVP #1344)
    expect(decodeBody(encodeBody(text, 'GB2312'))).toBe(text);
  });

  it('replaces characters outside the two-byte table with ?', () => {
    expect(new TextDecoder().decode(encodeBody('a😀b', 'GB2312'))).toBe('a?b');
  });

  it('counts bytes, not characters, so Content-Length differs by charset', () => {
    expect(encodeBody('大门口', 'GB2312').length).toBe(6);
    expect(encodeBody('大门口', 'UTF-8').length).toBe(9);
  });
});
