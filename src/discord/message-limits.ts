/** Discord's size limits for messages, embeds, components, choices and modals, and the clamps that make any body fit them. */
import {
  type APIActionRowComponent,
  type APIApplicationCommandOptionChoice,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIEmbedField,
  type APIMessageTopLevelComponent,
  type APIModalInteractionResponseCallbackData,
  ComponentType,
  MessageFlags,
} from "discord-api-types/v10";

/** From Discord's docs (message, embed, component, application command and interaction pages). */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  embedTitle: 256,
  embedDescription: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  selectOptions: 25,
  optionText: 100,
  placeholder: 150,
  customId: 100,
  choices: 25,
  choiceText: 100,
  modalTitle: 45,
} as const;

/** Cuts `text` to at most `max` UTF-16 units, ending in an ellipsis; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** What a clamp had to change, for the warning a caller logs. */
export type Clamped = string[];

function cut(text: string, max: number, what: string, notes: Clamped): string {
  if (text.length <= max) return text;
  notes.push(`${what} ${text.length}>${max}`);
  return truncate(text, max);
}

/** Embed text counted towards the 6000-character total: title, description, field names and values, footer, author. */
export function embedLength(e: APIEmbed): number {
  const fields = (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + fields + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0);
}

/**
 * Fits embeds to every per-part limit and the shared total, spending the total in reading order: what comes
 * first is kept whole, the tail is cut, and fields left with no room are dropped.
 */
export function clampEmbeds(embeds: readonly APIEmbed[], notes: Clamped = []): APIEmbed[] {
  if (embeds.length > LIMITS.embeds) notes.push(`embeds ${embeds.length}>${LIMITS.embeds}`);
  let budget: number = LIMITS.embedTotal;
  const spend = (text: string, max: number, what: string): string => {
    if (text.length > max) notes.push(`${what} ${text.length}>${max}`);
    else if (text.length > budget) notes.push(`embed total>${LIMITS.embedTotal} at ${what}`);
    const out = truncate(text, Math.min(max, budget));
    budget -= out.length;
    return out;
  };
  const clampEmbed = (e: APIEmbed): APIEmbed => {
    const out: APIEmbed = { ...e };
    if (e.title !== undefined) out.title = spend(e.title, LIMITS.embedTitle, "embed title");
    if (e.author) out.author = { ...e.author, name: spend(e.author.name, LIMITS.author, "embed author") };
    if (e.description !== undefined) out.description = spend(e.description, LIMITS.embedDescription, "embed description");
    if (e.fields) {
      if (e.fields.length > LIMITS.fields) notes.push(`fields ${e.fields.length}>${LIMITS.fields}`);
      const fields: APIEmbedField[] = [];
      // A field needs a name and a value of at least one character each.
      for (const f of e.fields.slice(0, LIMITS.fields)) {
        if (budget < 2) {
          notes.push("fields dropped for the embed total");
          break;
        }
        const name = spend(f.name || "\u200b", Math.min(LIMITS.fieldName, budget - 1), "field name");
        fields.push({ ...f, name, value: spend(f.value || "\u200b", LIMITS.fieldValue, "field value") });
      }
      out.fields = fields;
    }
    if (e.footer) out.footer = { ...e.footer, text: spend(e.footer.text, LIMITS.footer, "embed footer") };
    return out;
  };
  const out: APIEmbed[] = [];
  for (const e of embeds.slice(0, LIMITS.embeds)) {
    if (budget <= 0) {
      notes.push("embeds dropped for the embed total");
      break;
    }
    out.push(clampEmbed(e));
  }
  return out;
}

type MessageRow = APIActionRowComponent<APIComponentInMessageActionRow>;

function clampRow(row: MessageRow, notes: Clamped): MessageRow {
  const first = row.components[0];
  if (first && first.type !== ComponentType.Button) {
    if (row.components.length > 1) notes.push("select menus share a row");
    if (first.type !== ComponentType.StringSelect) return { ...row, components: [first] };
    if (first.options.length > LIMITS.selectOptions) notes.push(`select options ${first.options.length}>${LIMITS.selectOptions}`);
    const options = first.options.slice(0, LIMITS.selectOptions).map((o) => ({
      ...o,
      label: cut(o.label, LIMITS.optionText, "option label", notes),
      value: cut(o.value, LIMITS.optionText, "option value", notes),
      ...(o.description !== undefined ? { description: cut(o.description, LIMITS.optionText, "option description", notes) } : {}),
    }));
    const select = { ...first, options };
    if (first.placeholder !== undefined) select.placeholder = cut(first.placeholder, LIMITS.placeholder, "placeholder", notes);
    if (select.max_values !== undefined) select.max_values = Math.min(select.max_values, options.length);
    if (select.min_values !== undefined) select.min_values = Math.min(select.min_values, select.max_values ?? options.length);
    return { ...row, components: [select] };
  }
  if (row.components.length > LIMITS.buttonsPerRow) notes.push(`buttons ${row.components.length}>${LIMITS.buttonsPerRow}`);
  const buttons = row.components
    .slice(0, LIMITS.buttonsPerRow)
    .map((b) =>
      b.type === ComponentType.Button && "label" in b && b.label !== undefined ? { ...b, label: cut(b.label, LIMITS.buttonLabel, "button label", notes) } : b,
    );
  return { ...row, components: buttons };
}

/** Classic messages (not Components V2) hold at most 5 action rows of 5 buttons or one select. */
export function clampComponents(
  components: readonly APIMessageTopLevelComponent[],
  flags: number | undefined,
  notes: Clamped = [],
): APIMessageTopLevelComponent[] {
  if (((flags ?? 0) & MessageFlags.IsComponentsV2) !== 0) return [...components];
  if (components.length > LIMITS.actionRows) notes.push(`action rows ${components.length}>${LIMITS.actionRows}`);
  return components.slice(0, LIMITS.actionRows).map((c) => (c.type === ComponentType.ActionRow ? clampRow(c, notes) : c));
}

export interface MessageLike {
  content?: string | undefined;
  embeds?: APIEmbed[] | undefined;
  components?: APIMessageTopLevelComponent[] | undefined;
  flags?: number | undefined;
}

/** A copy of `message` that Discord accepts, and what had to change (empty when it already fit). */
export function clampMessage<T extends MessageLike>(message: T): { message: T; clamped: Clamped } {
  const notes: Clamped = [];
  const out: T = { ...message };
  if (typeof message.content === "string") out.content = cut(message.content, LIMITS.content, "content", notes);
  if (message.embeds) out.embeds = clampEmbeds(message.embeds, notes);
  if (message.components) out.components = clampComponents(message.components, message.flags, notes);
  return { message: notes.length ? out : message, clamped: notes };
}

/** Autocomplete: 25 choices, names of 1–100 characters; a string value over 100 cannot be cut without changing it, so its choice goes. */
export function clampChoices(choices: readonly APIApplicationCommandOptionChoice[], notes: Clamped = []): APIApplicationCommandOptionChoice[] {
  const usable = choices.filter((c) => typeof c.value !== "string" || c.value.length <= LIMITS.choiceText);
  if (usable.length < choices.length) notes.push(`choices with values over ${LIMITS.choiceText}: ${choices.length - usable.length}`);
  if (usable.length > LIMITS.choices) notes.push(`choices ${usable.length}>${LIMITS.choices}`);
  return usable.slice(0, LIMITS.choices).map((c) => ({ ...c, name: cut(c.name || String(c.value), LIMITS.choiceText, "choice name", notes) }));
}

export function clampModal(modal: APIModalInteractionResponseCallbackData, notes: Clamped = []): APIModalInteractionResponseCallbackData {
  return modal.title.length > LIMITS.modalTitle ? { ...modal, title: cut(modal.title, LIMITS.modalTitle, "modal title", notes) } : modal;
}

/** REST routes whose body is a message: channel messages and interaction followups/edits. */
const MESSAGE_ROUTES = [/^\/channels\/\d+\/messages(\/\d+)?$/, /^\/webhooks\/\d+\/[^/]+(\/messages\/[^/]+)?$/];

function isMessageLike(body: unknown): body is MessageLike {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const b: { content?: unknown; embeds?: unknown; components?: unknown } = body;
  return (
    (b.content === undefined || typeof b.content === "string") &&
    (b.embeds === undefined || Array.isArray(b.embeds)) &&
    (b.components === undefined || Array.isArray(b.components))
  );
}

/** The REST client's last guard: a message body bound for Discord, cut to the limits (other routes and bodies pass through). */
export function fitOutgoing(method: string, route: string, body: unknown): { body: unknown; clamped: Clamped } {
  if ((method !== "post" && method !== "patch") || !MESSAGE_ROUTES.some((r) => r.test(route)) || !isMessageLike(body)) return { body, clamped: [] };
  const { message, clamped } = clampMessage(body);
  return { body: message, clamped };
}
