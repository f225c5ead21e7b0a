/** Hono middleware that authenticates Discord interaction requests (Ed25519 over timestamp + raw body) before any parsing. */
import { verifyKey } from "discord-interactions";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { logger } from "../log";

/** Discord signs with the request time; older than this is a replay. */
export const MAX_SIGNATURE_AGE_S = 300;
/** Tolerated clock skew for timestamps slightly ahead of ours; anything later is rejected as "in the future". */
export const MAX_FUTURE_SKEW_S = 5;

const keys = new Map<string, Promise<CryptoKey>>();
/** The resolved key, so the common case skips a Map lookup and an await. */
let ready: { hex: string; key: CryptoKey } | undefined;

/** Imports the public key once per isolate; verifying then costs one signature check per request. */
async function publicKey(hex: string): Promise<CryptoKey> {
  if (ready?.hex === hex) return ready.key;
  let key = keys.get(hex);
  if (!key) {
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new HTTPException(500, { message: "DISCORD_PUBLIC_KEY is not a 64-character hex key" });
    const bytes = new Uint8Array(hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);
    key = crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
    key.catch(() => keys.delete(hex));
    keys.set(hex, key);
  }
  const resolved = await key;
  ready = { hex, key: resolved };
  return resolved;
}

export type VerifiedVariables = { rawBody: string };

export function verifyDiscordRequest(options: {
  publicKey: (env: unknown) => string;
  now?: () => number;
}): MiddlewareHandler<{ Variables: VerifiedVariables }> {
  return async function verifyDiscordSignature(c, next) {
    const signature = c.req.header("X-Signature-Ed25519");
    const timestamp = c.req.header("X-Signature-Timestamp");
    const reject = (reason: string) => {
      logger.warn("interaction.rejected", { reason });
      return c.json({ error: "invalid request signature" }, 401);
    };
    if (!signature || !timestamp) return reject("missing signature headers");
    // A length check is enough here: verifyKey rejects non-hex input, and a regex costs more than it saves.
    if (signature.length !== 128) return reject("malformed signature");
    if (!/^\d{1,12}$/.test(timestamp)) return reject("malformed timestamp");
    const nowS = Math.floor((options.now?.() ?? Date.now()) / 1000);
    const ts = Number(timestamp);
    if (nowS - ts > MAX_SIGNATURE_AGE_S) return reject("stale timestamp");
    if (ts - nowS > MAX_FUTURE_SKEW_S) return reject("timestamp in the future");
    const raw = await c.req.raw.text();
    const hex = options.publicKey(c.env);
    const key = ready?.hex === hex ? ready.key : await publicKey(hex);
    if (!(await verifyKey(raw, signature, timestamp, key))) return reject("bad signature");
    c.set("rawBody", raw);
    await next();
  };
}
