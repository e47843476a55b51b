// A form generated from a connector's JSON schema (pydantic's model_json_schema): strings,
// numbers, booleans, enums, lists of strings, string->string maps and nested objects. Secret
// fields are password inputs that are never pre-filled: on edit, empty means "keep it".

import { el } from "./okno-dom.js";

const MASK = "********";

// The schema of one field with $ref followed and Optional[X] (anyOf X | null) unwrapped.
function resolve(schema, root) {
  const node = schema || {};
  if (node.$ref) {
    const { $ref, ...rest } = node;
    return { ...resolve((root.$defs || {})[$ref.split("/").pop()], root), ...rest };
  }
  if (Array.isArray(node.anyOf)) {
    const real = node.anyOf.filter((s) => s.type !== "null");
    if (real.length === 1) {
      const { anyOf, ...outer } = node;
      return { ...resolve(real[0], root), ...outer, nullable: real.length < anyOf.length };
    }
  }
  return node;
}

function controlKind(node) {
  if (node.enum) return "enum";
  if (node.type === "boolean") return "boolean";
  if (node.type === "integer" || node.type === "number") return "number";
  if (node.type === "array" && node.items && node.items.enum) return "choices";
  if (node.type === "array") return "lines";
  if (node.type === "object" && node.properties) return "object";
  if (node.type === "object" && node.additionalProperties) return "map";
  if (node.type === "string" || !node.type) return "string";
  return "json";
}

export class SchemaForm {
  // kind: the connector kind (for translated labels); values: the channel's shown options
  // (secrets arrive as the mask); editing: true for an existing channel.
  constructor({ container, schema, secretFields, kind, values, editing, t }) {
    this.container = container;
    this.root = schema;
    this.secret = new Set(secretFields || []);
    this.kind = kind;
    this.editing = editing;
    this.t = t;
    this.fields = []; // { path, node, kind, read(), slot, holder }
    container.append(...this.build(schema, values || {}, ""));
  }

  label(name, node) {
    const key = "option." + name;
    const text = this.t(key);
    return text !== key ? text : node.title || name;
  }

  choiceLabel(value) {
    const key = "choice." + value;
    const text = this.t(key);
    return text !== key ? text : value;
  }

  help(name, node) {
    const key = `optionHelp.${this.kind}.${name}`;
    const text = this.t(key);
    return text !== key ? text : node.description || "";
  }

  build(schema, values, prefix) {
    const node = resolve(schema, this.root);
    const required = new Set(node.required || []);
    return Object.entries(node.properties || {}).map(([name, raw]) =>
      this.field(prefix + name, name, resolve(raw, this.root), values[name], required.has(name)));
  }

  field(path, name, node, value, required) {
    const kind = controlKind(node);
    const id = "opt-" + path.replace(/\W/g, "-");
    const secret = !path.includes(".") && this.secret.has(name);
    const stored = secret && value !== undefined && value !== null && value !== "";
    const slot = el("span", { class: "field-error", dataset: { errorFor: path } });
    const help = secret && this.editing && stored ? this.t("admin.secretStored") : this.help(name, node);
    const title = el("span", { class: "field-label" }, this.label(name, node),
      required && !(secret && stored) ? el("span", { class: "req", "aria-hidden": "true" }, "*") : null);
    const has = value !== undefined && value !== null;
    const initial = has ? value : node.default;
    let control;
    let read;
    if (kind === "object") {
      const inner = el("div", { class: "form-grid nested" }, ...this.build(node, value || {}, path + "."));
      const holder = el("div", { class: "field wide" }, title, inner, slot);
      this.fields.push({ path, kind, read: () => undefined, holder });
      return holder;
    }
    if (kind === "boolean") {
      control = el("input", { type: "checkbox", id, checked: Boolean(initial) });
      read = () => control.checked;
      const holder = el("label", { class: "field check", for: id }, control, title,
        help ? el("span", { class: "field-help" }, help) : null, slot);
      this.fields.push({ path, kind, read, holder });
      return holder;
    }
    if (kind === "enum") {
      control = el("select", { id },
        node.nullable || initial === undefined ? el("option", { value: "" }, "—") : null,
        ...node.enum.map((v) => el("option", { value: String(v), selected: v === initial }, String(v))));
      read = () => (control.value === "" ? (node.nullable ? null : undefined) : control.value);
    } else if (kind === "number") {
      control = el("input", { type: "number", id, step: node.type === "integer" ? "1" : "any",
        min: node.minimum ?? null, max: node.maximum ?? null, value: initial ?? "" });
      read = () => {
        if (control.value === "") return node.nullable ? null : (control.validity.badInput ? "?" : undefined);
        return Number(control.value);
      };
    } else if (kind === "choices") {
      const chosen = new Set(initial || []);
      const boxes = node.items.enum.map((v) => el("input", { type: "checkbox", value: v, checked: chosen.has(v) }));
      control = el("div", { class: "choices", id }, ...boxes.map((box) =>
        el("label", {}, box, this.choiceLabel(box.value))));
      read = () => boxes.filter((b) => b.checked).map((b) => b.value);
    } else if (kind === "lines") {
      control = el("textarea", { id, rows: 3, spellcheck: "false" });
      control.value = (initial || []).join("\n");
      read = () => control.value.split("\n").map((s) => s.trim()).filter(Boolean);
    } else if (kind === "map") {
      ({ control, read } = this.mapControl(id, initial || {}));
    } else if (kind === "json") {
      control = el("textarea", { id, rows: 3, spellcheck: "false" });
      control.value = initial === undefined ? "" : JSON.stringify(initial, null, 2);
      read = () => { try { return control.value.trim() ? JSON.parse(control.value) : undefined; } catch { return control.value; } };
    } else {
      control = el("input", { id, type: secret ? "password" : "text", maxlength: node.maxLength ?? null,
        autocomplete: secret ? "new-password" : "off", spellcheck: "false" });
      // A secret is never put back in the page: not even as the mask.
      if (!secret && initial !== undefined && initial !== null && initial !== MASK) control.value = String(initial);
      if (secret && stored && this.editing) control.placeholder = this.t("admin.secretPlaceholder");
      read = () => {
        const text = control.value;
        if (secret && text === "") return undefined;
        if (text.trim() !== "") return text;
        if (node.nullable) return null;
        if ("default" in node) return node.default;
        return required ? "" : undefined;
      };
    }
    const wide = kind === "map" || kind === "lines" || kind === "json" || kind === "choices";
    const holder = el("label", { class: "field" + (wide ? " wide" : ""), for: id }, title, control,
      help ? el("span", { class: "field-help" }, help) : null, slot);
    this.fields.push({ path, kind, read, holder });
    return holder;
  }

  mapControl(id, value) {
    const rows = el("div", { class: "kv-rows" });
    const addRow = (key = "", val = "") => {
      const keyInput = el("input", { "aria-label": this.t("admin.mapKey"), placeholder: this.t("admin.mapKey"), value: key });
      const valInput = el("input", { "aria-label": this.t("admin.mapValue"), placeholder: this.t("admin.mapValue"), value: val });
      const remove = el("button", { type: "button", title: this.t("admin.mapRemove") }, "×");
      const row = el("div", { class: "kv-row" }, keyInput, valInput, remove);
      remove.addEventListener("click", () => row.remove());
      rows.append(row);
      return keyInput;
    };
    for (const [k, v] of Object.entries(value)) addRow(k, String(v));
    const add = el("button", { type: "button", class: "link-button kv-add" }, this.t("admin.mapAdd"));
    add.addEventListener("click", () => addRow().focus());
    const control = el("div", { class: "kv", id }, rows, add);
    const read = () => {
      const out = {};
      for (const row of rows.querySelectorAll(".kv-row")) {
        const [k, v] = row.querySelectorAll("input");
        if (k.value.trim()) out[k.value.trim()] = v.value.trim();
      }
      return out;
    };
    return { control, read };
  }

  // The options to send; left-out keys keep their stored (or default) value.
  value() {
    const out = {};
    for (const field of this.fields) {
      if (field.kind === "object") continue;
      const v = field.read();
      if (v === undefined) continue;
      const parts = field.path.split(".");
      let target = out;
      for (const part of parts.slice(0, -1)) target = target[part] = target[part] || {};
      target[parts[parts.length - 1]] = v;
    }
    return out;
  }

  // errors: {"token": "...", "allowed_origins.1": "...", "options": "..."} from the API.
  // Each goes to the deepest field its path starts with; returns messages with no field.
  showErrors(errors) {
    const unplaced = [];
    const byPath = new Map(this.fields.map((f) => [f.path, f]));
    for (const [key, message] of Object.entries(errors || {})) {
      const parts = key.split(".");
      let field = null;
      for (let n = parts.length; n > 0 && !field; n -= 1) field = byPath.get(parts.slice(0, n).join("."));
      if (!field) { unplaced.push(message); continue; }
      const slot = field.holder.querySelector(`[data-error-for="${CSS.escape(field.path)}"]`);
      slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
      field.holder.classList.add("invalid");
    }
    const first = this.container.querySelector(".invalid input, .invalid select, .invalid textarea");
    if (first) first.focus();
    return unplaced;
  }
}
