/** What happens after the viewer uses the bot: a modal opens as a form, choices come back, replies land in the state. */
import type { ParsedCommand } from "../command-line.ts";
import type { MessageView } from "../types.ts";
import { type InteractionReq, interact } from "./api.ts";
import { toast } from "./dom.ts";
import { modalForm, openForm } from "./form.ts";
import { commandChannel, isDm } from "./store.ts";

/** Sends an interaction and follows up on its answer: a modal is shown, submitted as a modal interaction. */
export async function run(req: InteractionReq): Promise<void> {
  const out = await interact(req);
  const response = out && typeof out.response === "object" ? out.response : null;
  if (response?.type !== 9) return;
  const data = response.data as { custom_id?: string; title?: string; components?: [] };
  const values = await openForm(modalForm(data));
  if (!values) return;
  await run({ kind: "modal", custom_id: data.custom_id, fields: values, channel_id: req.channel_id, dm: req.dm });
}

export function runCommand(command: ParsedCommand, channelId = commandChannel()): Promise<void> {
  return run({ kind: "command", name: command.name, subcommand: command.subcommand, options: command.options, channel_id: channelId });
}

/** Asks the bot for autocomplete choices for the option being typed. */
export async function autocomplete(command: ParsedCommand, focused: string): Promise<{ name: string; value: string | number }[]> {
  const out = await interact({
    kind: "autocomplete",
    name: command.name,
    subcommand: command.subcommand,
    options: command.options,
    focused,
    channel_id: commandChannel(),
  });
  const response = out && typeof out.response === "object" ? out.response : null;
  if (response?.type !== 8) return [];
  return ((response.data as { choices?: { name: string; value: string | number }[] })?.choices ?? []).slice(0, 25);
}

function target(m: MessageView): Pick<InteractionReq, "message_id" | "channel_id" | "dm"> {
  return { message_id: m.id, channel_id: m.channel_id, dm: isDm(m.channel_id) };
}

export function clickButton(m: MessageView, customId: string): Promise<void> {
  return run({ kind: "component", custom_id: customId, component_type: 2, ...target(m) });
}

export function chooseOptions(m: MessageView, customId: string, componentType: number, values: string[], minValues = 1): Promise<void> {
  if (values.length < minValues) {
    toast(`Pick at least ${minValues} option${minValues === 1 ? "" : "s"}`);
    return Promise.resolve();
  }
  return run({ kind: "component", custom_id: customId, component_type: componentType, values, ...target(m) });
}
