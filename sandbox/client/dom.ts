/** A tiny DOM builder for the sandbox page: `h("div", { class: "x", onclick }, child…)`. */

type Attr = string | number | boolean | null | undefined | EventListener | ((e: never) => void);
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, Attr> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A short-lived notice at the bottom of the page (errors from the bot or the emulator). */
export function toast(text: string, level: "info" | "error" = "info"): void {
  const box = document.getElementById("toasts") ?? document.body.appendChild(h("div", { id: "toasts" }));
  const el = h("div", { class: `toast ${level}`, role: "status" }, text);
  box.appendChild(el);
  setTimeout(() => el.remove(), level === "error" ? 8000 : 4000);
}
