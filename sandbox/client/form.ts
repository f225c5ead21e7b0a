/** One dialog for every form on the page: the bot's modals and the member/admin actions (events, members, roles, faults). */
import { h } from "./dom.ts";

export interface Field {
  id: string;
  label: string;
  kind?: "short" | "paragraph" | "number" | "datetime" | "checkbox" | "select";
  value?: string;
  placeholder?: string;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  options?: { value: string; label: string }[];
}

export interface FormSpec {
  title: string;
  fields: Field[];
  submit?: string;
}

function input(f: Field): HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
  const common = { name: f.id, id: `field-${f.id}`, required: f.required, placeholder: f.placeholder, minlength: f.min_length, maxlength: f.max_length };
  if (f.kind === "paragraph") {
    const t = h("textarea", { ...common, rows: 4 });
    t.value = f.value ?? "";
    return t;
  }
  if (f.kind === "select")
    return h(
      "select",
      { name: f.id, id: common.id },
      (f.options ?? []).map((o) => h("option", { value: o.value, selected: o.value === f.value }, o.label)),
    );
  if (f.kind === "checkbox") return h("input", { type: "checkbox", name: f.id, id: common.id, checked: f.value === "true" });
  const type = f.kind === "number" ? "number" : f.kind === "datetime" ? "datetime-local" : "text";
  return h("input", { ...common, type, value: f.value ?? "" });
}

/** Opens the form; resolves with the values (checkboxes as "true"/"false"), or null when cancelled. */
export function openForm(spec: FormSpec): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const inputs = spec.fields.map((f) => ({ f, el: input(f) }));
    const dialog = h("dialog", { class: "form", "aria-label": spec.title });
    const done = (values: Record<string, string> | null) => {
      dialog.close();
      dialog.remove();
      resolve(values);
    };
    const form = h(
      "form",
      {
        method: "dialog",
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          const values: Record<string, string> = {};
          for (const { f, el } of inputs) values[f.id] = el instanceof HTMLInputElement && el.type === "checkbox" ? String(el.checked) : el.value;
          done(values);
        },
      },
      h("h2", {}, spec.title),
      inputs.map(({ f, el }) =>
        h("label", { class: `field ${f.kind ?? "short"}`, for: el.id }, h("span", {}, f.label, f.required ? h("b", { class: "req" }, " *") : null), el),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "btn link", onclick: () => done(null) }, "Cancel"),
        h("button", { type: "submit", class: "btn primary" }, spec.submit ?? "Submit"),
      ),
    );
    dialog.appendChild(form);
    dialog.addEventListener("cancel", () => done(null));
    document.body.appendChild(dialog);
    dialog.showModal();
    (inputs[0]?.el as HTMLElement | undefined)?.focus();
  });
}

type ModalComponent = {
  type: number;
  custom_id?: string;
  label?: string;
  style?: number;
  value?: string;
  placeholder?: string;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  components?: ModalComponent[];
  component?: ModalComponent;
};

/** A bot's modal (response type 9) as a form: text inputs in action rows, or inside labels. */
export function modalForm(data: { title?: string; components?: ModalComponent[] }): FormSpec {
  const fields: Field[] = [];
  const visit = (c: ModalComponent, label?: string) => {
    if (c.type === 4 && c.custom_id)
      fields.push({
        id: c.custom_id,
        label: c.label ?? label ?? c.custom_id,
        kind: c.style === 2 ? "paragraph" : "short",
        value: c.value,
        placeholder: c.placeholder,
        required: c.required !== false,
        min_length: c.min_length,
        max_length: c.max_length,
      });
    for (const child of c.components ?? []) visit(child, label);
    if (c.component) visit(c.component, c.label);
  };
  for (const c of data.components ?? []) visit(c);
  return { title: data.title ?? "Form", fields };
}
