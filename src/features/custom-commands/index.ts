/** Custom commands (seed 004): guild text commands with usage tracking and a daily usage-based cleanup. */
import type { Feature } from "../../feature";
import { customCommandCleanup } from "./cleanup";
import { cc, createModal, editModal, listPageButton } from "./commands";
import { customCommandEvents } from "./events";
import { customCommandsRetention } from "./retention";
import { runAsSlash, slashSyncKind } from "./slash";

export const customCommandsFeature: Feature = {
  name: "custom-commands",
  commands: [cc],
  commandFallback: runAsSlash,
  components: [listPageButton],
  modals: [createModal, editModal],
  events: customCommandEvents,
  crons: [customCommandCleanup],
  timerKinds: [slashSyncKind],
  retention: customCommandsRetention,
};
