/**
 * Stands in for `magic-bytes.js` in the Worker bundle (wrangler.toml `[alias]`): @discordjs/rest uses it only to
 * guess an uploaded file's content type, and the bot uploads no files. An unknown type is what the library
 * itself falls back to for bytes it does not recognise.
 */
export function filetypeinfo(_bytes: Uint8Array | number[]): { typename: string; mime?: string }[] {
  return [];
}
