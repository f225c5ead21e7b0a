/** The message box: plain text is written in the channel as the member; `/` opens the command box with suggestions. */
import { applySuggestion, parseCommandLine, type Suggestion, suggest } from "../command-line.ts";
import { call } from "./api.ts";
import { fill, h, toast } from "./dom.ts";
import { autocomplete, runCommand } from "./interactions.ts";
import { channel, commandChannel, go, lookup, member, shown, store } from "./store.ts";

const AUTOCOMPLETE_DELAY_MS = 250;

export interface Composer {
  el: HTMLElement;
  /** Called when the view changes: the placeholder names the channel. */
  update(): void;
}

export function createComposer(): Composer {
  const input = h("input", { id: "composer", type: "text", autocomplete: "off", spellcheck: false });
  const list = h("ul", { class: "suggestions", role: "listbox" });
  const hint = h("div", { class: "hint" });
  let items: Suggestion[] = [];
  let active = 0;
  let navigated = false;
  let askId = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const render = () => {
    fill(
      list,
      items.map((s, i) =>
        h(
          "li",
          {
            class: i === active ? "active" : "",
            role: "option",
            onmousedown: (e: Event) => {
              e.preventDefault();
              accept(i);
            },
          },
          h("span", { class: "label" }, s.label),
          s.detail ? h("span", { class: "detail" }, s.detail) : null,
        ),
      ),
    );
    list.hidden = items.length === 0;
  };

  const refresh = () => {
    const s = suggest(input.value, store.state?.commands ?? [], lookup());
    items = s.items;
    active = 0;
    navigated = false;
    hint.textContent = s.hint ?? (input.value.startsWith("/") ? "" : "Type / for the bot's commands");
    clearTimeout(timer);
    const ask = s.autocomplete;
    if (ask) {
      const id = ++askId;
      hint.textContent = `${s.hint ?? ""}  (asking the bot…)`;
      timer = setTimeout(async () => {
        const choices = await autocomplete(ask.command, ask.option);
        if (id !== askId) return;
        hint.textContent = s.hint ?? "";
        items = choices.map((c) => ({
          label: c.name,
          detail: String(c.value) === c.name ? undefined : String(c.value),
          insert: `${ask.option}:${quoted(String(c.value))}`,
        }));
        active = 0;
        render();
      }, AUTOCOMPLETE_DELAY_MS);
    }
    render();
  };

  const accept = (i: number) => {
    const s = items[i];
    if (!s) return;
    input.value = applySuggestion(input.value, s);
    input.focus();
    refresh();
  };

  const send = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    refresh();
    if (text.startsWith("/")) {
      const command = parseCommandLine(text, store.state?.commands ?? [], lookup());
      if (!store.state?.commands.some((c) => c.name === command.name)) return toast(`/${command.name} is not a registered command`, "error");
      const where = commandChannel();
      // The reply lands in the channel the command was used in: show it.
      if (where && store.view.kind !== "channel") go({ kind: "channel", id: where });
      return runCommand(command, where);
    }
    const target = store.view.kind === "channel" ? store.view.id : commandChannel();
    if (target) await call("POST", `/_emulator/channels/${target}/messages`, { user_id: store.me, content: text });
  };

  input.addEventListener("input", refresh);
  input.addEventListener("blur", () => {
    items = [];
    render();
  });
  input.addEventListener("keydown", (e) => {
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && items.length) {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      navigated = true;
      render();
    } else if (e.key === "Tab" && items.length) {
      e.preventDefault();
      accept(active);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (navigated && items.length) accept(active);
      else void send();
    } else if (e.key === "Escape") {
      items = [];
      render();
    }
  });
  render();

  return {
    el: h("div", { class: "composer" }, list, input, hint),
    update() {
      const c = store.view.kind === "channel" ? channel(store.view.id) : undefined;
      const where = c ? `#${shown(c.name)}` : store.view.kind === "channel" ? "your DM" : `#${channel(commandChannel() ?? "")?.name ?? "general"}`;
      input.placeholder = `Message ${where} as ${member(store.me)?.name ?? "…"} — or type / for commands`;
    },
  };
}

function quoted(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}
