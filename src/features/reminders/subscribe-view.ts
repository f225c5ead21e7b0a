/** The /subscribe view: two selects (types, offsets), an Interested opt-out and Save/Cancel; its state lives in the message. */
import { type APIActionRowComponent, type APIComponentInMessageActionRow, type APIMessage, ButtonStyle, ComponentType } from "discord-api-types/v10";
import { LIMITS, truncate } from "../../discord/message-limits";
import type { MessageData } from "../../interactions/reply";
import { formatOffset } from "./offsets";
import type { ReminderSettings, ReminderType } from "./settings";
import { MATCHES_TYPE } from "./settings";

export interface ViewState {
  types: string[];
  offsets: number[];
  optOut: boolean;
}

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

export function subscribeView(state: ViewState, types: readonly ReminderType[], settings: ReminderSettings, note = ""): MessageData {
  const typeOptions = [{ name: "all", keywords: [] as string[] }, ...types].slice(0, LIMITS.selectOptions);
  const rows: Row[] = [
    {
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: "rm:types",
          placeholder: "Which events?",
          min_values: 1,
          max_values: typeOptions.length,
          options: typeOptions.map((t) => ({
            label: t.name,
            value: t.name,
            description:
              t.name === "all"
                ? "Every scheduled event"
                : t.name === MATCHES_TYPE
                  ? "Tournament matches"
                  : truncate(`Names with ${t.keywords.join(", ")}`, LIMITS.optionText),
            default: state.types.includes(t.name),
          })),
        },
      ],
    },
    {
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: "rm:offsets",
          placeholder: truncate(`When? (none picked = ${settings.default_offsets.map(formatOffset).join(", ")} before)`, LIMITS.placeholder),
          min_values: 0,
          max_values: settings.allowed_offsets.length,
          options: settings.allowed_offsets.map((o) => ({
            label: o === 0 ? "When it starts" : `${formatOffset(o)} before`,
            value: String(o),
            default: state.offsets.includes(o),
          })),
        },
      ],
    },
    {
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Success, custom_id: "rm:save", label: "Save" },
        { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: "rm:cancel", label: "Cancel" },
        {
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          custom_id: `rm:optout:${state.optOut ? "on" : "off"}`,
          label: state.optOut ? "Interested reminders: off" : "Interested reminders: on",
        },
      ],
    },
  ];
  return {
    content: `${note ? `${note}\n` : ""}Pick the events you want DM reminders for and when. Press **Save** to keep it.`,
    components: rows,
  };
}

/** Reads the view's state back from the message the component sits on (selected options are marked default). */
export function stateFrom(message: APIMessage | undefined): ViewState {
  const state: ViewState = { types: [], offsets: [], optOut: false };
  for (const row of (message?.components ?? []) as Row[]) {
    for (const c of row.components ?? []) {
      if (c.type === ComponentType.StringSelect && c.custom_id === "rm:types") state.types = c.options.filter((o) => o.default).map((o) => o.value);
      if (c.type === ComponentType.StringSelect && c.custom_id === "rm:offsets") state.offsets = c.options.filter((o) => o.default).map((o) => Number(o.value));
      if (c.type === ComponentType.Button && "custom_id" in c && c.custom_id.startsWith("rm:optout:")) state.optOut = c.custom_id.endsWith(":on");
    }
  }
  return state;
}

/** The "Remind me" button other features put on their event announcements. */
export function remindMeButton(eventId: string): APIActionRowComponent<APIComponentInMessageActionRow> {
  return {
    type: ComponentType.ActionRow,
    components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `rm:remind:${eventId}`, label: "Remind me", emoji: { name: "🔔" } }],
  };
}
