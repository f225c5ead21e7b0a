/**
 * Which hosts an outbound webhook may reach: one pure normalisation of a host (case, trailing dots, every IPv4
 * spelling, IPv6 forms) and one classification against IANA's special-purpose ranges and local names, used both
 * when a hook is added and before every delivery (SSRF).
 */

export type HostKind = "ipv4" | "ipv6" | "name";
export interface NormalHost {
  kind: HostKind;
  /** Dotted quad, RFC 5952 IPv6 without brackets, or a lower-case name without trailing dots. */
  host: string;
}

export type Refusal = "invalid" | "scheme" | "local-name" | "special-address";
export type HostCheck = { ok: true; host: string } | { ok: false; host: string | null; reason: Refusal };

/** One IPv4 part as the WHATWG URL parser reads it: decimal, `0x` hex or leading-zero octal. */
function ipv4Number(part: string): number | null {
  if (part === "") return null;
  if (/^0x/i.test(part)) return part.length === 2 ? 0 : /^[0-9a-f]+$/i.test(part.slice(2)) ? Number.parseInt(part.slice(2), 16) : null;
  if (part.length > 1 && part.startsWith("0")) return /^[0-7]+$/.test(part.slice(1)) ? Number.parseInt(part.slice(1), 8) : null;
  return /^[0-9]+$/.test(part) ? Number.parseInt(part, 10) : null;
}

/** WHATWG's "ends in a number": such a host must be an IPv4 address or it is invalid (never a name). */
function endsInNumber(host: string): boolean {
  const last = host.split(".").at(-1) ?? "";
  return /^[0-9]+$/.test(last) || ipv4Number(last) !== null;
}

/** `127.1`, `0x7f.1`, `2130706433`, `017700000001` … → the four bytes, or null. */
export function parseIPv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length > 4) return null;
  const nums = parts.map(ipv4Number);
  if (nums.some((n) => n === null)) return null;
  const ns = nums as number[];
  const last = ns.at(-1) as number;
  if (ns.slice(0, -1).some((n) => n > 255) || last >= 256 ** (5 - ns.length)) return null;
  let value = last;
  ns.slice(0, -1).forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

/** The dotted tail of an IPv6 address (`::ffff:127.0.0.1`): strict decimal only, as in URLs. */
function strictDotted(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

function groupsOf(parts: string[], v4Last: boolean): number[] | null {
  const groups: number[] = [];
  for (const [i, p] of parts.entries()) {
    if (p.includes(".")) {
      const v4 = i === parts.length - 1 && v4Last ? strictDotted(p) : null;
      if (!v4) return null;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (/^[0-9a-f]{1,4}$/.test(p)) groups.push(Number.parseInt(p, 16));
    else return null;
  }
  return groups;
}

/** An IPv6 address (lower case, no brackets) → its eight 16-bit groups, or null. */
export function parseIPv6(s: string): number[] | null {
  if (!/^[0-9a-f:.]+$/.test(s)) return null;
  const gap = s.indexOf("::");
  if (gap !== -1 && s.indexOf("::", gap + 1) !== -1) return null;
  const split = (x: string) => (x === "" ? [] : x.split(":"));
  if (gap === -1) {
    const all = groupsOf(split(s), true);
    return all?.length === 8 ? all : null;
  }
  const head = groupsOf(split(s.slice(0, gap)), false);
  const tail = groupsOf(split(s.slice(gap + 2)), true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text: lower-case hex, no leading zeros, the first longest run of two or more zero groups as `::`. */
export function formatIPv6(groups: readonly number[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

/** Normalises a host as written in a URL or in WEBHOOK_ALLOW_HOSTS; null when it is no valid host. */
export function normaliseHost(raw: string): NormalHost | null {
  let h = raw.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  else h = h.replace(/\.+$/, "");
  if (h === "") return null;
  if (h.includes(":")) {
    const groups = parseIPv6(h);
    return groups ? { kind: "ipv6", host: formatIPv6(groups) } : null;
  }
  if (endsInNumber(h)) {
    const bytes = parseIPv4(h);
    return bytes ? { kind: "ipv4", host: bytes.join(".") } : null;
  }
  if (h.split(".").some((label) => label === "")) return null;
  return { kind: "name", host: h };
}

type Cidr4 = [number, number, number, number, number];
/** IANA IPv4 Special-Purpose Address Registry (plus multicast and the 240/4 reserve): none is a webhook receiver. */
const SPECIAL_V4: Cidr4[] = [
  [0, 0, 0, 0, 8],
  [10, 0, 0, 0, 8],
  [100, 64, 0, 0, 10],
  [127, 0, 0, 0, 8],
  [169, 254, 0, 0, 16],
  [172, 16, 0, 0, 12],
  [192, 0, 0, 0, 24],
  [192, 0, 2, 0, 24],
  [192, 31, 196, 0, 24],
  [192, 52, 193, 0, 24],
  [192, 88, 99, 0, 24],
  [192, 168, 0, 0, 16],
  [192, 175, 48, 0, 24],
  [198, 18, 0, 0, 15],
  [198, 51, 100, 0, 24],
  [203, 0, 113, 0, 24],
  [224, 0, 0, 0, 4],
  [240, 0, 0, 0, 4],
];

const v4Value = (b: readonly number[]) => (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;

export function isSpecialIPv4(bytes: readonly number[]): boolean {
  const v = v4Value(bytes);
  return SPECIAL_V4.some(([a, b, c, d, len]) => {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return (v & mask) >>> 0 === (v4Value([a, b, c, d]) & mask) >>> 0;
  });
}

function inPrefix6(groups: readonly number[], prefix: readonly number[], len: number): boolean {
  for (let i = 0; i < 8 && len > 0; i++, len -= 16) {
    const bits = Math.min(16, len);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] as number) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Special-purpose blocks inside global unicast 2000::/3: Teredo and the other IETF assignments (2001::/23),
 * documentation (2001:db8::/32, 3fff::/20), 6to4 (2002::/16, which embeds any IPv4 address) and AS112.
 */
const SPECIAL_V6_IN_GLOBAL: [number[], number][] = [
  [[0x2001, 0], 23],
  [[0x2001, 0xdb8], 32],
  [[0x2002], 16],
  [[0x2620, 0x4f, 0x8000], 48],
  [[0x3fff], 20],
];

/**
 * Only global unicast (2000::/3) can be a public receiver; everything else is refused, which covers ::, ::1,
 * IPv4-compatible (::/96) and IPv4-mapped (::ffff:0:0/96) forms, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), discard
 * (100::/64), SRv6 (5f00::/16), ULA (fc00::/7), link-local (fe80::/10), site-local (fec0::/10) and multicast (ff00::/8).
 */
export function isSpecialIPv6(groups: readonly number[]): boolean {
  if (!inPrefix6(groups, [0x2000], 3)) return true;
  return SPECIAL_V6_IN_GLOBAL.some(([prefix, len]) => inPrefix6(groups, prefix, len));
}

/** Names that resolve inside a network, never to a public receiver (RFC 6761, 6762, 8375 and common private TLDs). */
const LOCAL_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "localdomain",
  "arpa",
  "lan",
  "home",
  "corp",
  "intranet",
  "private",
  "test",
  "invalid",
  "example",
  "onion",
  "alt",
];

export function isLocalName(name: string): boolean {
  if (!name.includes(".")) return true; // single-label hosts resolve through the local search domain
  return LOCAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));
}

/** WEBHOOK_ALLOW_HOSTS (comma-separated) as normalised hosts; entries that are no host are dropped. */
export function parseAllowHosts(csv: string | undefined): string[] {
  return (csv ?? "")
    .split(",")
    .map((h) => normaliseHost(h)?.host)
    .filter((h): h is string => h !== undefined);
}

/** Whether a hook URL may be delivered to: https to a public host, or any http(s) host the operator allowed exactly. */
export function checkWebhookUrl(raw: string, allowHosts: readonly string[]): HostCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, host: null, reason: "invalid" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, host: null, reason: "scheme" };
  const n = normaliseHost(url.hostname);
  if (!n) return { ok: false, host: null, reason: "invalid" };
  if (allowHosts.includes(n.host)) return { ok: true, host: n.host };
  if (n.kind === "name" && isLocalName(n.host)) return { ok: false, host: n.host, reason: "local-name" };
  if (n.kind === "ipv4" && isSpecialIPv4(n.host.split(".").map(Number))) return { ok: false, host: n.host, reason: "special-address" };
  if (n.kind === "ipv6" && isSpecialIPv6(parseIPv6(n.host) as number[])) return { ok: false, host: n.host, reason: "special-address" };
  if (url.protocol !== "https:") return { ok: false, host: n.host, reason: "scheme" };
  return { ok: true, host: n.host };
}

export const REFUSAL_TEXT: Record<Refusal, string> = {
  invalid: "That URL's host is not a valid name or address.",
  scheme: "Webhook URLs must use https.",
  "local-name": "That host is local; webhooks must reach a public address.",
  "special-address": "That address is private or reserved; webhooks must reach a public address.",
};
