/** Ed25519 signing as Discord does it (timestamp + body), with WebCrypto so it runs in Node and in workerd. */

export interface SigningKeys {
  publicKeyHex: string;
  privateKeyPkcs8Hex: string;
}

const toHex = (buf: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);

export async function generateSigningKeys(): Promise<SigningKeys> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pub = await crypto.subtle.exportKey("raw", pair.publicKey);
  const priv = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  return { publicKeyHex: toHex(pub as ArrayBuffer), privateKeyPkcs8Hex: toHex(priv as ArrayBuffer) };
}

const cache = new Map<string, Promise<CryptoKey>>();

export async function signBody(privateKeyPkcs8Hex: string, timestamp: string, body: string): Promise<string> {
  let key = cache.get(privateKeyPkcs8Hex);
  if (!key) {
    key = crypto.subtle.importKey("pkcs8", fromHex(privateKeyPkcs8Hex), { name: "Ed25519" }, false, ["sign"]);
    cache.set(privateKeyPkcs8Hex, key);
  }
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, await key, new TextEncoder().encode(timestamp + body));
  return toHex(sig);
}

/** Headers Discord sends with an interaction; `at` (epoch seconds) lets tests forge stale or future timestamps. */
export async function signedHeaders(privateKeyPkcs8Hex: string, body: string, at = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  const timestamp = String(at);
  return {
    "content-type": "application/json",
    "x-signature-ed25519": await signBody(privateKeyPkcs8Hex, timestamp, body),
    "x-signature-timestamp": timestamp,
  };
}
