// The address policy as a pure function: no name is resolved and no packet is sent.
import { describe, expect, it } from 'vitest';
import {
  addressDecision,
  canonicalHost,
  embeddedIPv4,
  invalidDenyEntries,
  invalidNat64Prefixes,
  nonPublicReason,
  schemeDecision,
  type EgressPolicy,
} from './egressPolicy.ts';

const open: EgressPolicy = { allowHosts: [], allowPrivateNetwork: false, denyAddresses: [] };

describe('which addresses are public', () => {
  const notPublic = [
    // IPv4 special ranges
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '169.254.169.254',
    '169.254.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    // IPv6 special ranges
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '2001:db8::1',
    '100::1',
    // IPv6 forms that carry an internal IPv4 address
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    '::127.0.0.1',
    '::a00:1',
    // The other spellings of IPv4 a URL may use (decimal, octal, hex, short forms)
    '2130706433',
    '0177.0.0.1',
    '0x7f.0.0.1',
    '0x7f000001',
    '127.1',
    '017700000001',
    '0xa9.0xfe.0xa9.0xfe',
    '0251.0376.0251.0376',
    '3232235777',
  ];
  it.each(notPublic)('%s is not public', (address) => {
    expect(nonPublicReason(address)).not.toBeNull();
  });

  const publicOnes = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '172.32.0.1',
    '100.128.0.1',
    '11.0.0.1',
  ];
  it.each(publicOnes)('%s is public', (address) => {
    expect(nonPublicReason(address)).toBeNull();
  });

  it('names what is wrong with an address', () => {
    expect(nonPublicReason('169.254.169.254')).toBe('169.254.169.254 is link-local');
    expect(nonPublicReason('10.0.0.1')).toBe('10.0.0.1 is private');
    expect(nonPublicReason('::ffff:127.0.0.1')).toBe('127.0.0.1 is loopback');
    expect(nonPublicReason('0.0.0.0')).toBe('0.0.0.0 is unspecified');
    expect(nonPublicReason('not-an-ip')).toBe('not-an-ip is not an IP address');
  });

  it('spells hosts as the browser does', () => {
    expect(canonicalHost('0x7f.1')).toBe('127.0.0.1');
    expect(canonicalHost('2130706433')).toBe('127.0.0.1');
    expect(canonicalHost('[::FFFF:127.0.0.1]')).toBe('::ffff:7f00:1');
    expect(canonicalHost('Example.COM')).toBe('example.com');
    expect(canonicalHost('bad host')).toBeNull();
  });
});

describe('decisions', () => {
  it('allows http(s) and ws(s) only', () => {
    for (const scheme of ['http:', 'https:', 'ws:', 'wss:']) expect(schemeDecision(scheme).allowed).toBe(true);
    for (const scheme of ['file:', 'ftp:', 'chrome:', 'javascript:', 'data:', 'gopher:'])
      expect(schemeDecision(scheme)).toEqual({
        allowed: false,
        reason: `scheme ${scheme} is not allowed (http and https only)`,
      });
  });

  it('refuses a name that resolves to nothing, or to any internal address among public ones', () => {
    expect(addressDecision(open, 'gone.example', '80', [])).toEqual({
      allowed: false,
      reason: 'host gone.example does not resolve',
    });
    expect(addressDecision(open, 'mixed.example', '80', ['93.184.216.34', '10.0.0.1'])).toEqual({
      allowed: false,
      reason: 'host mixed.example resolves to 10.0.0.1 is private',
    });
    expect(addressDecision(open, 'fine.example', '443', ['93.184.216.34', '2606:4700::1'])).toEqual({ allowed: true });
    expect(addressDecision(open, '10.0.0.1', '80', ['10.0.0.1'])).toEqual({
      allowed: false,
      reason: 'address 10.0.0.1 is private',
    });
  });

  it('lets allowed hosts (by name and port) and private networks through, but never a denied address', () => {
    const sandbox: EgressPolicy = { ...open, allowHosts: ['*.localhost:8700', '127.0.0.1:9000'] };
    expect(addressDecision(sandbox, 'shop.localhost', '8700', ['127.0.0.1']).allowed).toBe(true);
    expect(addressDecision(sandbox, 'shop.localhost', '8701', ['127.0.0.1']).allowed).toBe(false);
    expect(addressDecision(sandbox, '127.0.0.1', '9000', ['127.0.0.1']).allowed).toBe(true);
    expect(addressDecision(sandbox, '127.0.0.1', '9001', ['127.0.0.1']).allowed).toBe(false);
    const intranet: EgressPolicy = {
      ...open,
      allowPrivateNetwork: true,
      denyAddresses: ['127.0.0.2', '169.254.0.0/16'],
    };
    expect(addressDecision(intranet, '10.1.2.3', '80', ['10.1.2.3']).allowed).toBe(true);
    expect(addressDecision(intranet, 'x.test', '80', ['127.0.0.2'])).toEqual({
      allowed: false,
      reason: 'address 127.0.0.2 is in the deny list',
    });
    expect(addressDecision({ ...intranet, allowHosts: ['x.test'] }, 'x.test', '80', ['169.254.169.254'])).toEqual({
      allowed: false,
      reason: 'address 169.254.169.254 is in the deny list',
    });
    expect(addressDecision({ ...sandbox, onlyAllowedHosts: true }, 'example.com', '80', ['93.184.216.34'])).toEqual({
      allowed: false,
      reason: 'outside requests are blocked for this page',
    });
  });

  it('rejects deny-list entries that are not addresses or ranges', () => {
    expect(invalidDenyEntries(['10.0.0.0/8', '::1', '127.0.0.2', 'fe80::/10'])).toEqual([]);
    expect(invalidDenyEntries(['10.0.0.0/33', 'example.com', '1.2.3'])).toEqual(['10.0.0.0/33', 'example.com']);
  });
});

// 169.254.169.254 is a9fe:a9fe; each spelling below was written out by hand from its RFC's layout.
const METADATA_SPELLINGS: [string, string][] = [
  ['IPv4-mapped', '::ffff:a9fe:a9fe'],
  ['IPv4-compatible', '::a9fe:a9fe'],
  ['NAT64, well-known prefix (RFC 6052)', '64:ff9b::a9fe:a9fe'],
  // /48: a9fe in bits 48-63, the u octet (bits 64-71) zero, a9fe in bits 72-87
  ['NAT64, local-use prefix (RFC 8215)', '64:ff9b:1:a9fe:a9:fe00::'],
  ['6to4 (RFC 3056)', '2002:a9fe:a9fe::1'],
  // the client's address is stored inverted: 169.254.169.254 xor 255 = 86.1.86.1 = 5601:5601
  ['Teredo, as the client (RFC 4380)', '2001:0:102:304::5601:5601'],
  ['Teredo, as the server', '2001:0:a9fe:a9fe::1'],
];

describe('every spelling of an address', () => {
  it.each(METADATA_SPELLINGS)('reads 169.254.169.254 out of its %s form', (_form, address) => {
    expect(embeddedIPv4(address)).toContain('169.254.169.254');
  });

  it('reads a configured NAT64 prefix of any RFC 6052 length', () => {
    expect(embeddedIPv4('2001:db8:64::a9fe:a9fe', ['2001:db8:64::/96'])).toEqual(['169.254.169.254']);
    expect(embeddedIPv4('2001:db8:1:2:a9:fea9:fe00:0', ['2001:db8:1:2::/64'])).toEqual(['169.254.169.254']);
    expect(embeddedIPv4('2001:db8:64::a9fe:a9fe')).toEqual([]); // not a NAT64 prefix unless configured
    expect(invalidNat64Prefixes(['2001:db8::/96', '2001:db8::/64', '64:ff9b:1::/48'])).toEqual([]);
    expect(invalidNat64Prefixes(['2001:db8::/80', '10.0.0.0/8', '2001:db8::1'])).toEqual([
      '2001:db8::/80',
      '10.0.0.0/8',
      '2001:db8::1',
    ]);
  });

  it('finds nothing inside plain addresses', () => {
    for (const address of ['::', '::1', '2606:4700:4700::1111', '8.8.8.8', 'fe80::1', 'bad'])
      expect(embeddedIPv4(address)).toEqual([]);
  });

  const intranet: EgressPolicy = { ...open, allowPrivateNetwork: true, denyAddresses: ['169.254.0.0/16'] };
  it.each(METADATA_SPELLINGS)('refuses the %s spelling of a denied address in intranet mode', (_form, address) => {
    // (the mapped form is read as the IPv4 address itself, so its reason does not say "embeds")
    const decision = addressDecision(intranet, address, '80', [address]);
    expect(decision.allowed).toBe(false);
    expect(decision).toHaveProperty('reason', expect.stringMatching(/^address .* in the deny list$/));
  });

  it.each(METADATA_SPELLINGS)('refuses the %s spelling in the default mode', (_form, address) => {
    expect(addressDecision(open, address, '80', [address]).allowed).toBe(false);
  });

  it('refuses a configured NAT64 spelling in both modes, and lets intranet addresses through', () => {
    const nat64Prefixes = ['2001:db8:64::/96'];
    for (const policy of [
      { ...open, nat64Prefixes },
      { ...intranet, nat64Prefixes },
    ])
      expect(addressDecision(policy, 'x.test', '80', ['2001:db8:64::a9fe:a9fe']).allowed).toBe(false);
    expect(addressDecision(intranet, 'x.test', '80', ['64:ff9b::a00:1']).allowed).toBe(true); // 10.0.0.1
    expect(addressDecision(intranet, 'x.test', '80', ['10.0.0.1']).allowed).toBe(true);
  });

  it('refuses everything before a lookup when told to', () => {
    const nothing: EgressPolicy = { ...open, refuseAll: 'no' };
    expect(addressDecision(nothing, 'example.com', '443', ['93.184.216.34'])).toEqual({ allowed: false, reason: 'no' });
  });
});
