/** The bot's version, from package.json, reported by /health and in the REST User-Agent. */
import pkg from "../package.json";

export const VERSION: string = pkg.version;
