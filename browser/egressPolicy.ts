// Which destinations the browser may reach: http(s) and ws(s) only, and never an address that is not
// public unicast (private, loopback, link-local, CGNAT, multicast, unspecified, documentation, and the
// IPv6 forms that embed one of those) — unless its host is explicitly allowed (the sandbox web, a saved
// page's server) or private networks are allowed. Addresses in the deny list are refused even then.
// Pure functions of names and addresses: the egress proxy applies them, tests call them directly.
import ipaddr from 'ipaddr.js';

export interface EgressPolicy {
  /** Hosts (or *.suffix patterns, optionally with :port) allowed even though their address is not public. */
  allowHosts: string[];
  /** Allow non-public addresses everywhere (an intranet crawl; never for the open web). */
  allowPrivateNetwork: boolean;
  /** Addresses or CIDR ranges refused whatever else allows them. */
  denyAddresses: string[];
  /** Refuse every host not in allowHosts (a saved page must not reach out). */
  onlyAllowedHosts?: boolean;
  /** Refuse everything, before any name is looked up, with this reason (the browser's own traffic). */
  refuseAll?: string;
  /** NAT64 prefixes of this network besides the well-known ones (RFC 6052 lengths: /32 … /96). */
  nat64Prefixes?: string[];
  /** Domains (and their subdomains) refused by name before any lookup: the operator's suppression list. */
  denyDomains?: ReadonlySet<string>;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** The canonical spelling of a host as a browser would send it: lower case, IPv4 in dotted decimal. */
export function canonicalHost(host: string): string | null {
  try {
    const bare = host.replace(/^\[|\]$/g, '');
    const hostname = new URL(`http://${ipaddr.IPv6.isValid(bare) ? `[${bare}]` : bare}/`).hostname;
    return hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/** The NAT64 prefixes every network may use (RFC 6052 well-known, RFC 8215 local-use). */
export const WELL_KNOWN_NAT64 = ['64:ff9b::/96', '64:ff9b:1::/48'];

const NAT64_LENGTHS = new Set([32, 40, 48, 56, 64, 96]);

/** The IPv4 address an RFC 6052 address carries after a prefix of this length (bits 64-71 are skipped). */
function rfc6052Embedded(bytes: number[], prefixLength: number): number[] {
  const out: number[] = [];
  for (let i = prefixLength / 8; out.length < 4; i += 1) if (i !== 8) out.push(bytes[i]!);
  return out;
}

/**
 * Every IPv4 address an IPv6 address reaches or names inside it: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (the well-known prefixes and the configured ones), 6to4
 * (2002:AABB:CCDD::) and Teredo (2001:0::, its server and its client, the client's bits inverted).
 * A policy checks these as well as the address itself, so no spelling reaches a range it refuses.
 */
export function embeddedIPv4(address: string, nat64Prefixes: string[] = []): string[] {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return [];
  }
  if (parsed.kind() !== 'ipv6') return [];
  const v6 = parsed as ipaddr.IPv6;
  const bytes = v6.toByteArray();
  const words = v6.parts;
  const dotted = (b: number[]) => b.join('.');
  const found: string[] = [];
  if (v6.isIPv4MappedAddress()) found.push(dotted(bytes.slice(12)));
  // ::a.b.c.d, but not :: and ::1 (which are themselves)
  else if (words.slice(0, 6).every((w) => w === 0) && (words[6]! !== 0 || words[7]! > 1))
    found.push(dotted(bytes.slice(12)));
  for (const prefix of [...WELL_KNOWN_NAT64, ...nat64Prefixes]) {
    const range = parsedEntry(prefix);
    if (range && range[0].kind() === 'ipv6' && v6.match(range)) found.push(dotted(rfc6052Embedded(bytes, range[1])));
  }
  if (words[0] === 0x2002) found.push(dotted(bytes.slice(2, 6)));
  if (words[0] === 0x2001 && words[1] === 0) {
    found.push(dotted(bytes.slice(4, 8)));
    found.push(dotted(bytes.slice(12).map((b) => b ^ 0xff)));
  }
  return [...new Set(found)];
}

/** Validates NAT64 prefixes: IPv6 CIDR ranges of an RFC 6052 length. */
export function invalidNat64Prefixes(entries: string[]): string[] {
  return entries.filter((e) => {
    const range = parsedEntry(e);
    return !e.includes('/') || !range || range[0].kind() !== 'ipv6' || !NAT64_LENGTHS.has(range[1]);
  });
}

/** Why an address is not public unicast, or null when it is. Unparseable input is never public. */
export function nonPublicReason(address: string, nat64Prefixes: string[] = []): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address); // reads decimal, octal, hex and short IPv4 spellings too
  } catch {
    return `${address} is not an IP address`;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // Forms that carry an IPv4 address inside: judge the IPv4 address they reach.
    if (v6.isIPv4MappedAddress()) return nonPublicReason(v6.toIPv4Address().toString());
    for (const inner of embeddedIPv4(address, nat64Prefixes)) {
      const reason = nonPublicReason(inner);
      if (reason) return `${address} embeds ${inner}: ${reason}`;
    }
    const range = v6.range();
    // IPv4-compatible (::a.b.c.d, deprecated) reads as the IPv4 address on some stacks.
    const words = v6.parts;
    if (words.slice(0, 6).every((w) => w === 0) && (words[6]! !== 0 || words[7]! > 1))
      return `${address} is an IPv4-compatible IPv6 address`;
    if (range === 'rfc6052' || range === '6to4') return null; // a public IPv4 address behind a translator
    return range === 'unicast' ? null : `${address} is ${describe(range)}`;
  }
  // ipaddr.js calls the documentation and protocol-assignment ranges `reserved`: not public either.
  const range = (parsed as ipaddr.IPv4).range();
  if (range === 'unicast') return null;
  return `${address} is ${describe(range)}`;
}

function describe(range: string): string {
  const names: Record<string, string> = {
    private: 'private',
    loopback: 'loopback',
    linkLocal: 'link-local',
    multicast: 'multicast',
    unspecified: 'unspecified',
    carrierGradeNat: 'carrier-grade NAT (shared)',
    broadcast: 'broadcast',
    reserved: 'reserved',
    benchmarking: 'benchmarking',
    uniqueLocal: 'unique-local (private)',
    teredo: 'a Teredo tunnel',
    amt: 'an AMT relay',
    as112: 'AS112',
    as112v6: 'AS112',
    orchid2: 'ORCHIDv2',
    droneRemoteIdProtocolEntityTags: 'reserved',
    deprecated: 'deprecated',
    discard: 'discard-only',
  };
  return names[range] ?? `not public (${range})`;
}

// Deny-list entries parsed once (a policy is checked for every request), a single address as a /32 or /128.
const parsedEntries = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | null>();
function parsedEntry(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  if (!parsedEntries.has(entry)) {
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number] | null;
    try {
      if (entry.includes('/')) parsed = ipaddr.parseCIDR(entry);
      else {
        const address = ipaddr.process(entry);
        parsed = [address, address.kind() === 'ipv4' ? 32 : 128];
      }
    } catch {
      parsed = null;
    }
    parsedEntries.set(entry, parsed);
  }
  return parsedEntries.get(entry)!;
}

function matchesCidr(address: string, entry: string): boolean {
  const range = parsedEntry(entry);
  if (!range) return false;
  try {
    const parsed = ipaddr.process(address);
    return parsed.kind() === range[0].kind() && parsed.match(range);
  } catch {
    return false;
  }
}

/** Validates deny-list entries, so a typo fails at start-up instead of denying nothing. */
export function invalidDenyEntries(entries: string[]): string[] {
  return entries.filter((e) => parsedEntry(e) === null);
}

function hostMatches(pattern: string, host: string, port: string): boolean {
  const [patternHost, patternPort] = pattern.toLowerCase().split(/:(?=\d+$)/) as [string, string | undefined];
  if (patternPort && patternPort !== port) return false;
  if (patternHost.startsWith('*.')) return host === patternHost.slice(2) || host.endsWith(patternHost.slice(1));
  return host === patternHost.replace(/^\[|\]$/g, '');
}

export function hostAllowed(policy: EgressPolicy, host: string, port: string): boolean {
  return policy.allowHosts.some((p) => hostMatches(p, host, port));
}

/** Whether a scheme may be used at all (checked before any name is resolved). */
export function schemeDecision(protocol: string): Decision {
  return SCHEMES.has(protocol)
    ? { allowed: true }
    : { allowed: false, reason: `scheme ${protocol} is not allowed (http and https only)` };
}

/** The decision for one connection: a host and port, and the addresses the name resolved to. */
export function addressDecision(policy: EgressPolicy, host: string, port: string, addresses: string[]): Decision {
  if (policy.refuseAll) return { allowed: false, reason: policy.refuseAll };
  if (addresses.length === 0) return { allowed: false, reason: `host ${host} does not resolve` };
  // The deny list holds for every spelling: an IPv6 address is refused for the IPv4 address it embeds too.
  for (const address of addresses) {
    const spellings = [address, ...embeddedIPv4(address, policy.nat64Prefixes)];
    const denied = spellings.find((a) => policy.denyAddresses.some((d) => matchesCidr(a, d)));
    if (denied === address) return { allowed: false, reason: `address ${address} is in the deny list` };
    if (denied) return { allowed: false, reason: `address ${address} embeds ${denied}, which is in the deny list` };
  }
  if (hostAllowed(policy, host, port)) return { allowed: true };
  if (policy.onlyAllowedHosts) return { allowed: false, reason: 'outside requests are blocked for this page' };
  if (policy.allowPrivateNetwork) return { allowed: true };
  for (const address of addresses) {
    const reason = nonPublicReason(address, policy.nat64Prefixes);
    if (reason)
      return { allowed: false, reason: address === host ? `address ${reason}` : `host ${host} resolves to ${reason}` };
  }
  return { allowed: true };
}

/** RFC 6761: localhost and *.localhost are loopback, whatever a resolver says. */
export function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}
