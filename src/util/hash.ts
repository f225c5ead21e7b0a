/** Small stable hashes for ids that must repeat across retries (message nonces), not for security. */

/** FNV-1a 64-bit of the string, in base 36 (at most 13 characters). */
export function stableId(input: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(input)) {
    h ^= BigInt(byte);
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(36);
}
