/** What `npm run register` needs from src/: the command list and the registration call. */
export { createDiscord } from "../src/discord/rest";
export { registry } from "../src/features";
export { registerCommands } from "../src/registration";
export { registrationPayload } from "../src/registry";
