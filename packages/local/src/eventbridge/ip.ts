/**
 * IP address parsing for the `cidr` operator, and for exact-match values that are IP addresses (event-ruler
 * compiles those to a one-address range, so `"2001:db8::1"` also equals its fully expanded spelling).
 */
import { InvalidEventPatternError } from "./errors";

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface CidrRange {
  version: 4 | 6;
  bottom: bigint;
  top: bigint;
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]+$/;
const MASK_SHAPE = /^[+-]?[0-9]+$/;

function parseIpv4(text: string): bigint | undefined {
  if (!IPV4_SHAPE.test(text)) return undefined;
  let value = 0n;
  for (const octet of text.split(".")) {
    // Octets are read as decimal even with a leading zero, as Java's InetAddress does; never octal.
    if (octet.length > 3) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!text.includes(":") || !IPV6_SHAPE.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): string[] | undefined => {
    if (part === undefined || part === "") return [];
    const groups = part.split(":");
    return groups.every((g) => g.length >= 1 && g.length <= 4) ? groups : undefined;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (!head || !tail) return undefined;
  const compressed = halves.length === 2;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(compressed ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  return value;
}

/** Parses a literal IPv4 or IPv6 address; anything else (host names, zone ids, junk) gives undefined. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { version: 6, value: v6 };
  return undefined;
}

/**
 * Compiles a CIDR operand with event-ruler's checks and messages. Note the range starts at the address as
 * written, not at the network address: event-ruler does not mask the low bits of the base, so
 * `10.0.0.5/24` covers 10.0.0.5 to 10.0.0.255. We keep that, since it is what AWS matches.
 */
export function compileCidr(spec: string): CidrRange {
  const parts = spec.split("/");
  // Java's String.split drops trailing empty strings, so "10.0.0.0/" has one part, not two.
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length !== 2) throw new InvalidEventPatternError("Malformed CIDR, one '/' required");
  const [address, mask] = parts as [string, string];
  if (!MASK_SHAPE.test(mask) || Math.abs(Number(mask)) > 2 ** 31 - 1) {
    throw new InvalidEventPatternError("Malformed CIDR, mask bits must be an integer");
  }
  const bits = Number(mask);
  if (bits < 0) throw new InvalidEventPatternError("Malformed CIDR, mask bits must not be negative");
  const looksLikeIp = IPV4_SHAPE.test(address) || (address.includes(":") && IPV6_SHAPE.test(address));
  if (!looksLikeIp) throw new InvalidEventPatternError(`Nonstandard IP address: ${address}`);
  const ip = parseIpAddress(address);
  if (!ip) throw new InvalidEventPatternError(`Invalid IP address: ${address}`);
  const width = ip.version === 4 ? 32 : 128;
  if (bits > width - 1) throw new InvalidEventPatternError(`IPv${ip.version} mask bits must be < ${width}`);
  const hostBits = BigInt(width - bits);
  const hostMask = (1n << hostBits) - 1n;
  return { version: ip.version, bottom: ip.value, top: ip.value | hostMask };
}

export function cidrContains(range: CidrRange, text: string): boolean {
  const ip = parseIpAddress(text);
  return (
    ip !== undefined && ip.version === range.version && ip.value >= range.bottom && ip.value <= range.top
  );
}
