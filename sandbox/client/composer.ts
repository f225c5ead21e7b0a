/** The message box: plain text is written in the channel as the member; `/` opens the command box with suggestions. */
import { applySuggestion, parseCommandLine, type Suggestion, type Suggestions, suggest } from "../command-line.ts";
import { call } from "./api.ts";
import { fill, h, toast } from "./dom.ts";
import { autocomplete, runCommand } from "./interactions.ts";
import { channel, commandChannel, go, lookup, member, shown, store } from "./store.ts";

const AUTOCOMPLETE_DELAY_MS = 250;

function quoted(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

export class Composer {
  readonly el: HTMLElement;
  private readonly input = h("input", { id: "composer", type: "text", autocomplete: "off", spellcheck: false });
  private readonly list = h("ul", { class: "suggestions", role: "listbox" });
  private readonly hint = h("div", { class: "hint" });
  private items: Suggestion[] = [];
  private active = 0;
  /** Enter picks the highlighted suggestion only after the arrow keys moved it; otherwise it sends. */
  private navigated = false;
  private askId = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.el = h("div", { class: "composer" }, this.list, this.input, this.hint);
    this.input.addEventListener("input", () => this.refresh());
    this.input.addEventListener("blur", () => this.show([]));
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.show([]);
  }

  /** Called when the view changes: the placeholder names the channel and the member. */
  update(): void {
    const c = store.view.kind === "channel" ? channel(store.view.id) : undefined;
    const where = c ? `#${shown(c.name)}` : store.view.kind === "channel" ? "your DM" : `#${channel(commandChannel() ?? "")?.name ?? "general"}`;
    this.input.placeholder = `Message ${where} as ${member(store.me)?.name ?? "…"} — or type / for commands`;
  }

  private show(items: Suggestion[]): void {
    this.items = items;
    this.active = 0;
    this.navigated = false;
    this.render();
  }

  private render(): void {
    const pick = (i: number) => (e: Event) => {
      e.preventDefault();
      this.accept(i);
    };
    fill(
      this.list,
      this.items.map((s, i) =>
        h(
          "li",
          { class: i === this.active ? "active" : "", role: "option", onmousedown: pick(i) },
          h("span", { class: "label" }, s.label),
          s.detail ? h("span", { class: "detail" }, s.detail) : null,
        ),
      ),
    );
    this.list.hidden = this.items.length === 0;
  }

  private refresh(): void {
    const s = suggest(this.input.value, store.state?.commands ?? [], lookup());
    this.show(s.items);
    this.hint.textContent = s.hint ?? (this.input.value.startsWith("/") ? "" : "Type / for the bot's commands");
    clearTimeout(this.timer);
    if (s.autocomplete) this.askBot(s);
  }

  /** The option being typed is answered by the bot: send an autocomplete interaction once typing pauses. */
  private askBot(s: Suggestions): void {
    const ask = s.autocomplete;
    if (!ask) return;
    const id = ++this.askId;
    this.hint.textContent = `${s.hint ?? ""}  (asking the bot…)`;
    this.timer = setTimeout(async () => {
      const choices = await autocomplete(ask.command, ask.option);
      if (id !== this.askId) return;
      this.hint.textContent = s.hint ?? "";
      this.show(
        choices.map((c) => ({
          label: c.name,
          detail: String(c.value) === c.name ? undefined : String(c.value),
          insert: `${ask.option}:${quoted(String(c.value))}`,
        })),
      );
    }, AUTOCOMPLETE_DELAY_MS);
  }

  private accept(i: number): void {
    const s = this.items[i];
    if (!s) return;
    this.input.value = applySuggestion(this.input.value, s);
    this.input.focus();
    this.refresh();
  }

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.refresh();
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
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.items.length;
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && n) {
      e.preventDefault();
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      this.navigated = true;
      this.render();
    } else if (e.key === "Tab" && n) {
      e.preventDefault();
      this.accept(this.active);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (this.navigated && n) this.accept(this.active);
      else void this.send();
    } else if (e.key === "Escape") this.show([]);
  }
}
