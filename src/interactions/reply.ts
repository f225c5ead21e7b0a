/** Builders for interaction responses; every message goes out with mentions locked down unless a handler opts in. */
import {
  type APIAllowedMentions,
  type APIApplicationCommandOptionChoice,
  type APIInteractionResponse,
  type APIInteractionResponseCallbackData,
  type APIModalInteractionResponseCallbackData,
  InteractionResponseType,
  MessageFlags,
} from "discord-api-types/v10";
import { type Clamped, clampChoices, clampMessage, clampModal } from "../discord/message-limits";

export type MessageData = APIInteractionResponseCallbackData;

/** No @everyone, role or user pings from text the bot echoes back (names, user input). */
export const NO_MENTIONS: APIAllowedMentions = { parse: [] };

function withDefaults(data: MessageData, ephemeral: boolean): MessageData {
  const flags = ephemeral ? (data.flags ?? 0) | MessageFlags.Ephemeral : data.flags;
  return { ...data, ...(flags ? { flags } : {}), allowed_mentions: data.allowed_mentions ?? NO_MENTIONS };
}

function asData(content: string | MessageData): MessageData {
  return typeof content === "string" ? { content } : content;
}

export const reply = {
  /** Visible only to the member who used the command. */
  ephemeral(content: string | MessageData): APIInteractionResponse {
    return { type: InteractionResponseType.ChannelMessageWithSource, data: withDefaults(asData(content), true) };
  },
  message(content: string | MessageData): APIInteractionResponse {
    return { type: InteractionResponseType.ChannelMessageWithSource, data: withDefaults(asData(content), false) };
  },
  /** Edits the message a component is attached to. */
  update(content: string | MessageData): APIInteractionResponse {
    return { type: InteractionResponseType.UpdateMessage, data: withDefaults(asData(content), false) };
  },
  modal(data: APIModalInteractionResponseCallbackData): APIInteractionResponse {
    return { type: InteractionResponseType.Modal, data };
  },
  choices(choices: APIApplicationCommandOptionChoice[]): APIInteractionResponse {
    return { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: clampChoices(choices) } };
  },
  deferred(ephemeral: boolean): APIInteractionResponse {
    return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: ephemeral ? { flags: MessageFlags.Ephemeral } : {} };
  },
  deferredUpdate(): APIInteractionResponse {
    return { type: InteractionResponseType.DeferredMessageUpdate };
  },
};

/** The part of a response that can be sent as an edit of @original after a deferral. */
export function editBody(response: APIInteractionResponse): MessageData | null {
  if (response.type === InteractionResponseType.ChannelMessageWithSource || response.type === InteractionResponseType.UpdateMessage) {
    const { flags: _flags, tts: _tts, ...rest } = response.data ?? {};
    return rest;
  }
  return null;
}

/**
 * The last step before an answer leaves: any body over Discord's limits is cut to fit (Discord would reject it
 * and the member would see "interaction failed"); `clamped` says what was cut, for a warning.
 */
export function fitResponse(response: APIInteractionResponse): { response: APIInteractionResponse; clamped: Clamped } {
  switch (response.type) {
    case InteractionResponseType.ChannelMessageWithSource:
    case InteractionResponseType.UpdateMessage: {
      if (!response.data) return { response, clamped: [] };
      const { message, clamped } = clampMessage(response.data);
      return { response: clamped.length ? { ...response, data: message } : response, clamped };
    }
    case InteractionResponseType.ApplicationCommandAutocompleteResult: {
      const clamped: Clamped = [];
      const choices = clampChoices(response.data.choices ?? [], clamped);
      return { response: clamped.length ? { ...response, data: { choices } } : response, clamped };
    }
    case InteractionResponseType.Modal: {
      const clamped: Clamped = [];
      const data = clampModal(response.data, clamped);
      return { response: clamped.length ? { ...response, data } : response, clamped };
    }
    default:
      return { response, clamped: [] };
  }
}
