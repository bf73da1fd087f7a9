/**
 * The parser benchmark's input: a realistic mix of four SIP messages, built with CRLF line ends so that no
 * editor or git setting can change the bytes.
 *
 * 1. REGISTER with a digest `Authorization` (a WebSocket client's second REGISTER),
 * 2. INVITE with an SDP offer (audio + video),
 * 3. 200 OK to an INVITE with a two-proxy `Record-Route` and a three-entry `Via` stack,
 * 4. GB/T 28181 MESSAGE with a MANSCDP XML Catalog response body.
 *
 * The GB28181 URIs use IP hosts: JsSIP and SIP.js both reject the common camera form `sip:<id>@3402000000`
 * (an all-digit host is neither an IPv4 address nor a valid domain label for their grammars), and every parser
 * must get the same inputs.
 * @module
 */

const crlf = (lines: string[], body = ''): string => {
  const len = new TextEncoder().encode(body).length;
  return [...lines, `Content-Length: ${len}`, '', body].join('\r\n');
};

const register = crlf([
  'REGISTER sip:edge-sip.test SIP/2.0',
  'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK6316137;rport',
  'Max-Forwards: 69',
  'To: <sip:alice@edge-sip.test>',
  'From: "Alice" <sip:alice@edge-sip.test>;tag=lu0cv5hc1u',
  'Call-ID: 0bpb8q3fvgsucbp25hkvln',
  'CSeq: 2 REGISTER',
  'Authorization: Digest algorithm=MD5, username="alice", realm="edge-sip.test", ' +
    'nonce="MTcwMDAwMDAwMC4xMjM0NTY3ODkwYWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg", uri="sip:edge-sip.test", ' +
    'response="6629fae49393a05397450978507c4ef1", qop=auth, cnonce="k2n8tkdf7nbi", nc=00000001',
  'Contact: <sip:d6odcdg5@df7jal23ls0d.invalid;transport=ws>;+sip.ice;reg-id=1;' +
    '+sip.instance="<urn:uuid:3c1e3f2a-7c8e-4b6e-9d55-0f1d2b8e4a11>";expires=600',
  'Expires: 600',
  'Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY',
  'Supported: path,gruu,outbound',
  'User-Agent: JsSIP 3.10.0',
]);

const sdp = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1467250027 1 udp 2122260223 192.168.1.10 46243 typ host generation 0',
  'a=ice-ufrag:aJ3k',
  'a=ice-pwd:5dn0y2cgZ8n4bYcQvOqK3mYq',
  'a=fingerprint:sha-256 5E:1A:9C:4B:77:0D:3A:2E:91:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  '',
].join('\r\n');

const invite = crlf([
  'INVITE sip:bob@edge-sip.test SIP/2.0',
  'Via: SIP/2.0/WSS 9ikbfe1v0k7g.invalid;branch=z9hG4bK1786245',
  'Max-Forwards: 69',
  'To: <sip:bob@edge-sip.test>',
  'From: "Alice" <sip:alice@edge-sip.test>;tag=4bk0ljjkq3',
  'Call-ID: 4jl0ufjhocr8u9v8e7rc',
  'CSeq: 6201 INVITE',
  'Contact: <sip:6tb5ad6i@9ikbfe1v0k7g.invalid;transport=ws;ob>',
  'Content-Type: application/sdp',
  'Session-Expires: 90',
  'Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY',
  'Supported: timer,ice,replaces,outbound',
  'User-Agent: JsSIP 3.10.0',
], sdp);

const ok200 = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/WSS edge-sip.test;branch=z9hG4bK.e2a1f0c3b4d5.1;rport=443;received=198.51.100.7',
  'Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK.77ab12;received=10.0.0.2;rport=5060',
  'Via: SIP/2.0/WSS 9ikbfe1v0k7g.invalid;branch=z9hG4bK1786245;received=203.0.113.4;rport=51234',
  'Record-Route: <sip:edge-sip.test;transport=ws;lr;ftag=4bk0ljjkq3;did=4a1.b2c>',
  'Record-Route: <sip:10.0.0.2:5060;lr;r2=on>, <sip:edge-sip.test;transport=ws;lr;r2=on>',
  'To: <sip:bob@edge-sip.test>;tag=8321234356',
  'From: "Alice" <sip:alice@edge-sip.test>;tag=4bk0ljjkq3',
  'Call-ID: 4jl0ufjhocr8u9v8e7rc',
  'CSeq: 6201 INVITE',
  'Contact: <sip:bob@192.0.2.4:5060;transport=udp>',
  'Content-Type: application/sdp',
  'Server: DeskPhone/7.1',
], sdp.replace('127.0.0.1', '192.0.2.4'));

const xml = [
  '<?xml version="1.0" encoding="GB2312"?>',
  '<Response>',
  '<CmdType>Catalog</CmdType>',
  '<SN>17430</SN>',
  '<DeviceID>34020000001320000001</DeviceID>',
  '<SumNum>1</SumNum>',
  '<DeviceList Num="1">',
  '<Item>',
  '<DeviceID>34020000001310000001</DeviceID>',
  '<Name>Camera 1</Name>',
  '<Manufacturer>Hikvision</Manufacturer>',
  '<Model>DS-2CD2T47G2</Model>',
  '<Owner>Owner</Owner>',
  '<CivilCode>3402000000</CivilCode>',
  '<Address>Address</Address>',
  '<Parental>0</Parental>',
  '<ParentID>34020000001320000001</ParentID>',
  '<SafetyWay>0</SafetyWay>',
  '<RegisterWay>1</RegisterWay>',
  '<Secrecy>0</Secrecy>',
  '<Status>ON</Status>',
  '</Item>',
  '</DeviceList>',
  '</Response>',
  '',
].join('\r\n');

const gbMessage = crlf([
  'MESSAGE sip:34020000002000000001@192.168.1.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1843512230',
  'From: <sip:34020000001320000001@192.168.1.64:5060>;tag=1040383549',
  'To: <sip:34020000002000000001@192.168.1.1:5060>',
  'Call-ID: 1264730489',
  'CSeq: 20 MESSAGE',
  'Content-Type: Application/MANSCDP+xml',
  'Max-Forwards: 70',
  'User-Agent: IP Camera',
], xml);

/** The mix, one of each, in this order; every entry is pure ASCII so string length = byte length. */
export const MESSAGE_MIX: readonly { name: string; text: string }[] = [
  { name: 'REGISTER+Authorization', text: register },
  { name: 'INVITE+SDP', text: invite },
  { name: '200+Record-Route+Via×3', text: ok200 },
  { name: 'GB28181 MESSAGE+XML', text: gbMessage },
];
