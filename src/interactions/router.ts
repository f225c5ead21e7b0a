/** Routes a verified interaction to its command, component, modal or autocomplete handler; the one error exit. */
import {
  type APIApplicationCommandInteraction,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
} from "discord-api-types/v10";
import { DiscordApiError, DiscordErrorCode } from "../discord/errors";
import { memberGuildPermissions } from "../discord/guild-roles";
import { missingPermissions } from "../discord/permissions";
import { logger } from "../log";
import type { Services } from "../services";
import { flattenOptions, modalFields, optionReader } from "./options";
import { editBody, fitResponse, reply } from "./reply";
import {
  type BaseContext,
  type CommandDef,
  type CommandFallback,
  type ComponentDef,
  type HandlerResult,
  type ModalDef,
  UserError,
  type Visibility,
} from "./types";

export interface RouterTables {
  commands: ReadonlyMap<string, CommandDef<Services>>;
  components: ReadonlyMap<string, ComponentDef<Services>>;
  modals: ReadonlyMap<string, ModalDef<Services>>;
  /** Tried in order for names the command table does not know. */
  fallbacks?: readonly CommandFallback<Services>[];
}

/** A handler slower than this is answered with a deferral and finished by a followup (Discord allows 3 s). */
export const AUTO_DEFER_MS = 2000;
/** Microtask turns a handler may take before it is treated as waiting on I/O and raced against the deadline. */
const SYNC_TICKS = 16;

function baseContext(interaction: APIInteraction, services: Services): BaseContext<Services> {
  const user = interaction.member?.user ?? interaction.user;
  if (!user) throw new UserError("This interaction has no user.");
  return {
    services,
    interaction,
    guildId: interaction.guild_id ?? null,
    user,
    memberPermissions: interaction.member ? BigInt(interaction.member.permissions) : 0n,
    appPermissions: interaction.app_permissions ? BigInt(interaction.app_permissions) : 0n,
    guildPermissions: guildPermissionsOf(interaction, services),
  };
}

/** Memoised per interaction, so several checks in one handler cost at most one read of the guild's roles. */
function guildPermissionsOf(interaction: APIInteraction, services: Services): () => Promise<bigint> {
  let perms: Promise<bigint> | undefined;
  return () => {
    const member = interaction.member;
    const guildId = interaction.guild_id;
    if (!member || !guildId) return Promise.resolve(0n);
    perms ??= memberGuildPermissions(
      services.discord,
      guildId,
      { userId: member.user.id, roleIds: member.roles, timedOutUntil: member.communication_disabled_until ?? null },
      services.now(),
    );
    return perms;
  };
}

function normalise(result: HandlerResult, visibility: Visibility): APIInteractionResponse {
  if (typeof result === "string") return visibility === "ephemeral" ? reply.ephemeral(result) : reply.message(result);
  // A full response carries `type`; message data (content/embeds/components) never does.
  if ("type" in result) return result;
  return visibility === "ephemeral" ? reply.ephemeral(result) : reply.message(result);
}

/** Admin commands change guild-wide state, so they are checked against the member's guild-level permissions. */
async function requirePermissions(ctx: BaseContext<Services>, required: bigint | undefined): Promise<void> {
  if (!required) return;
  if (!ctx.guildId) throw new UserError("This can only be used in a server.");
  const missing = missingPermissions(await ctx.guildPermissions(), required);
  if (missing.length) throw new UserError(`You need the **${missing.join(", ")}** permission to do this.`);
}

/** Where the interaction came from, for the clamp warning: the command, or the component's or modal's custom id. */
function origin(interaction: APIInteraction): string {
  if (interaction.type === InteractionType.ApplicationCommand || interaction.type === InteractionType.ApplicationCommandAutocomplete)
    return `/${interaction.data.name}`;
  if (interaction.type === InteractionType.MessageComponent || interaction.type === InteractionType.ModalSubmit)
    return interaction.data.custom_id.split(":").slice(0, 2).join(":");
  return "ping";
}

/** No handler can send a body Discord would reject: it is cut to the limits here, and the cut is logged as a handler bug. */
function fitted(response: APIInteractionResponse, interaction: APIInteraction): APIInteractionResponse {
  const fit = fitResponse(response);
  if (fit.clamped.length)
    logger.warn("interaction.reply_clamped", {
      guild_id: interaction.guild_id ?? null,
      interaction_id: interaction.id,
      from: origin(interaction),
      clamped: fit.clamped,
    });
  return fit.response;
}

export interface RouterOptions {
  /** Defer a handler still running after this long; tests shorten it. */
  deferAfterMs?: number;
}

export class InteractionRouter {
  private readonly deferAfterMs: number;

  constructor(
    private readonly tables: RouterTables,
    options: RouterOptions = {},
  ) {
    this.deferAfterMs = options.deferAfterMs ?? AUTO_DEFER_MS;
  }

  async handle(interaction: APIInteraction, services: Services): Promise<APIInteractionResponse> {
    return fitted(await this.dispatch(interaction, services), interaction);
  }

  private async dispatch(interaction: APIInteraction, services: Services): Promise<APIInteractionResponse> {
    switch (interaction.type) {
      case InteractionType.Ping:
        return { type: InteractionResponseType.Pong };
      case InteractionType.ApplicationCommand:
        return this.command(interaction, services);
      case InteractionType.ApplicationCommandAutocomplete:
        return this.autocomplete(interaction as unknown as APIChatInputApplicationCommandInteraction, services);
      case InteractionType.MessageComponent:
        return this.component(interaction, services);
      case InteractionType.ModalSubmit:
        return this.modal(interaction, services);
    }
  }

  private async command(interaction: APIApplicationCommandInteraction, services: Services): Promise<APIInteractionResponse> {
    const def = interaction.data.type === ApplicationCommandType.ChatInput ? this.tables.commands.get(interaction.data.name) : undefined;
    const chat = interaction as APIChatInputApplicationCommandInteraction;
    if (!def) return this.fallback(chat, services);
    const visibility = def.visibility ?? "ephemeral";
    return this.guard(chat, services, async () => {
      const base = baseContext(chat, services);
      const { path, leaves } = flattenOptions(chat.data);
      const ctx = { ...base, interaction: chat, subcommand: path, options: optionReader(leaves) };
      // Inside the deadline race: checking guild-level permissions may read the guild's roles from Discord.
      const run = async () => {
        await requirePermissions(base, (def.requires ?? 0n) | (def.requiresFor?.[path] ?? 0n));
        return normalise(await def.run(ctx), visibility);
      };
      if (def.deferred?.includes(path)) return this.deferThen(chat, services, run, reply.deferred(visibility === "ephemeral"));
      return this.raceDeadline(chat, services, run, reply.deferred(visibility === "ephemeral"));
    });
  }

  private async fallback(chat: APIChatInputApplicationCommandInteraction, services: Services): Promise<APIInteractionResponse> {
    const unknown = () => {
      logger.warn("interaction.unknown_command", { guild_id: chat.guild_id ?? null, command: chat.data.name });
      return reply.ephemeral(`Unknown command \`/${chat.data.name}\`. It may have been removed; an admin can re-register commands.`);
    };
    const fallbacks = chat.data.type === ApplicationCommandType.ChatInput ? (this.tables.fallbacks ?? []) : [];
    if (fallbacks.length === 0) return unknown();
    return this.guard(chat, services, async () => {
      const { path, leaves } = flattenOptions(chat.data);
      const ctx = { ...baseContext(chat, services), interaction: chat, subcommand: path, options: optionReader(leaves) };
      for (const fallback of fallbacks) {
        const result = await fallback(ctx, chat.data.name);
        if (result !== null) return normalise(result, "ephemeral");
      }
      return unknown();
    });
  }

  private async autocomplete(interaction: APIChatInputApplicationCommandInteraction, services: Services): Promise<APIInteractionResponse> {
    const def = this.tables.commands.get(interaction.data.name);
    if (!def?.autocomplete) return reply.choices([]);
    try {
      const base = baseContext(interaction, services);
      const { path, leaves } = flattenOptions(interaction.data);
      return reply.choices(await def.autocomplete({ ...base, interaction, subcommand: path, options: optionReader(leaves) }));
    } catch (error) {
      // Autocomplete cannot show an error; an empty list is the honest answer.
      logger.warn("interaction.autocomplete_failed", { guild_id: interaction.guild_id ?? null, command: interaction.data.name, error });
      return reply.choices([]);
    }
  }

  private async component(interaction: APIMessageComponentInteraction, services: Services): Promise<APIInteractionResponse> {
    const [ns = "", action = "", ...args] = interaction.data.custom_id.split(":");
    const def = this.tables.components.get(`${ns}:${action}`);
    if (!def) {
      logger.warn("interaction.unknown_component", { guild_id: interaction.guild_id ?? null, custom_id: `${ns}:${action}` });
      return reply.ephemeral("This button or menu is no longer supported. Run the command again to get a fresh one.");
    }
    return this.guard(interaction, services, async () => {
      const base = baseContext(interaction, services);
      const values = "values" in interaction.data ? interaction.data.values : [];
      const run = async () => {
        await requirePermissions(base, def.requires);
        return normalise(await def.run({ ...base, interaction, args, values }), "ephemeral");
      };
      if (def.deferred) return this.deferThen(interaction, services, run, reply.deferredUpdate());
      return run();
    });
  }

  private async modal(interaction: APIModalSubmitInteraction, services: Services): Promise<APIInteractionResponse> {
    const [ns = "", action = "", ...args] = interaction.data.custom_id.split(":");
    const def = this.tables.modals.get(`${ns}:${action}`);
    if (!def) return reply.ephemeral("This form is no longer supported. Run the command again.");
    return this.guard(interaction, services, async () => {
      const base = baseContext(interaction, services);
      await requirePermissions(base, def.requires);
      return normalise(await def.run({ ...base, interaction, args, fields: modalFields(interaction.data) }), "ephemeral");
    });
  }

  /** Answers with `ack` at once and edits @original with the handler's result (or its error) afterwards. */
  private deferThen(
    interaction: APIInteraction,
    services: Services,
    run: () => Promise<APIInteractionResponse>,
    ack: APIInteractionResponse,
  ): APIInteractionResponse {
    services.waitUntil(this.finish(interaction, services, run()));
    return ack;
  }

  /** Runs the handler; if it misses the deadline, defers and lets the followup carry the result. */
  private async raceDeadline(
    interaction: APIInteraction,
    services: Services,
    run: () => Promise<APIInteractionResponse>,
    ack: APIInteractionResponse,
  ): Promise<APIInteractionResponse> {
    const pending = run();
    // A handler that needs no I/O settles within a few microtasks; it gets its answer without a deadline
    // timer, which would cost more than the handler itself (see `npm run bench`).
    let settled = false;
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (let tick = 0; tick < SYNC_TICKS && !settled; tick++) await undefined;
    if (settled) return pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.deferAfterMs);
    });
    const first = await Promise.race([pending, deadline]);
    clearTimeout(timer);
    if (first !== "late") return first;
    logger.warn("interaction.auto_deferred", { guild_id: interaction.guild_id ?? null, interaction_id: interaction.id });
    services.waitUntil(this.finish(interaction, services, pending));
    return ack;
  }

  private async finish(interaction: APIInteraction, services: Services, pending: Promise<APIInteractionResponse>): Promise<void> {
    let response: APIInteractionResponse;
    try {
      response = await pending;
    } catch (error) {
      response = this.errorResponse(error, interaction, services);
    }
    const body = editBody(fitted(response, interaction)) ?? { content: "Done." };
    try {
      await services.api.interactions.editOriginal(interaction.application_id, interaction.token, body);
    } catch (error) {
      logger.error("interaction.followup_failed", { guild_id: interaction.guild_id ?? null, interaction_id: interaction.id, error });
    }
  }

  private async guard(interaction: APIInteraction, services: Services, fn: () => Promise<APIInteractionResponse>): Promise<APIInteractionResponse> {
    try {
      return await fn();
    } catch (error) {
      return this.errorResponse(error, interaction, services);
    }
  }

  /** Every failure becomes one ephemeral reply here; unexpected ones are logged with a reference and raised as CRITICAL. */
  errorResponse(error: unknown, interaction: APIInteraction, services: Services): APIInteractionResponse {
    const guildId = interaction.guild_id ?? null;
    if (error instanceof UserError) {
      logger.info("interaction.user_error", { guild_id: guildId, interaction_id: interaction.id, message: error.message });
      return reply.ephemeral(error.message);
    }
    if (error instanceof DiscordApiError && (error.is(DiscordErrorCode.MissingPermissions) || error.is(DiscordErrorCode.MissingAccess))) {
      logger.warn("interaction.bot_missing_permissions", { guild_id: guildId, interaction_id: interaction.id, error });
      return reply.ephemeral("I don't have the Discord permissions to do that here. An admin can run `/bot-config check` to see what is missing.");
    }
    const ref = crypto.randomUUID().slice(0, 8);
    logger.error("interaction.failed", { guild_id: guildId, interaction_id: interaction.id, ref, error });
    services.waitUntil(services.bus.emit("interaction.failed", { ref, error }, { guildId, interactionType: interaction.type }).catch(() => undefined));
    return reply.ephemeral(`Something went wrong on my side (ref \`${ref}\`). Please try again; if it keeps happening, tell an admin.`);
  }
}
