// A form generated from a JSON Schema (what pydantic emits for a checkpoint's response model): text,
// numbers, yes/no, choices, nested objects, and a JSON box for anything richer. It validates in the
// browser with the schema's own rules and shows those errors, or the server's field errors (422
// `errors: [{field: "data.email", message}]`), beside the fields they name.
import { h, uid } from "./dom.js";

export function resolve(schema, root) {
  let current = schema || {};
  for (let hops = 0; current.$ref && hops < 20; hops += 1) {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(current.$ref);
    const target = match && root?.[match[1]]?.[decodeURIComponent(match[2])];
    if (!target) break;
    const { $ref, ...rest } = current;
    current = { ...target, ...rest };
  }
  return current;
}

// anyOf [X, {type: null}] (pydantic's Optional) -> X, nullable.
function unwrap(schema, root) {
  const resolved = resolve(schema, root);
  const options = resolved.anyOf || resolved.oneOf;
  if (Array.isArray(options)) {
    const real = options.filter((option) => resolve(option, root).type !== "null");
    if (real.length === 1 && real.length < options.length) {
      const { anyOf, oneOf, ...rest } = resolved;
      return { ...rest, ...resolve(real[0], root), nullable: true };
    }
  }
  return resolved;
}

function typeOf(schema) {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  if (schema.type) return schema.type;
  if (schema.properties) return "object";
  if (schema.enum) return typeof schema.enum[0];
  return undefined;
}

function title(name, schema) {
  if (schema.title) return schema.title;
  return name.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

// -- validation (a subset of JSON Schema 2020-12: what response models use) -------------------------
function codePoints(text) {
  return [...text].length; // as Python counts a string's length
}

function patternOf(source) {
  try {
    return new RegExp(source, "u");
  } catch {
    return null; // a Python-only pattern: the server checks it
  }
}

export function validate(schema, value, root = schema, path = "") {
  const s = unwrap(schema, root);
  const errors = [];
  const fail = (message) => errors.push({ path, message });
  if (value === null) {
    if (!(s.nullable || s.type === "null" || (Array.isArray(s.type) && s.type.includes("null")))) fail("Required.");
    return errors;
  }
  const options = s.anyOf || s.oneOf;
  if (Array.isArray(options)) {
    const fits = options.some((option) => !validate(option, value, root, path).length);
    if (!fits) fail("Doesn't match any of the allowed shapes.");
    return errors;
  }
  if (s.enum && !s.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    fail(`Must be one of: ${s.enum.join(", ")}.`);
    return errors;
  }
  if ("const" in s && JSON.stringify(s.const) !== JSON.stringify(value)) {
    fail(`Must be ${JSON.stringify(s.const)}.`);
    return errors;
  }
  const type = typeOf(s);
  if (type === "string") {
    if (typeof value !== "string") return [{ path, message: "Must be text." }];
    const length = codePoints(value);
    if (s.minLength !== undefined && length < s.minLength) {
      fail(s.minLength === 1 ? "Required." : `At least ${s.minLength} characters.`);
    }
    if (s.maxLength !== undefined && length > s.maxLength) fail(`At most ${s.maxLength} characters (now ${length}).`);
    const pattern = s.pattern && patternOf(s.pattern);
    if (pattern && !pattern.test(value)) fail(`Doesn't match the expected format (${s.pattern}).`);
  } else if (type === "number" || type === "integer") {
    if (typeof value !== "number" || !Number.isFinite(value)) return [{ path, message: "Must be a number." }];
    if (type === "integer" && !Number.isInteger(value)) fail("Must be a whole number.");
    if (s.minimum !== undefined && value < s.minimum) fail(`Must be at least ${s.minimum}.`);
    if (s.maximum !== undefined && value > s.maximum) fail(`Must be at most ${s.maximum}.`);
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) fail(`Must be more than ${s.exclusiveMinimum}.`);
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) fail(`Must be less than ${s.exclusiveMaximum}.`);
    if (s.multipleOf && Math.abs(value / s.multipleOf - Math.round(value / s.multipleOf)) > 1e-9) {
      fail(`Must be a multiple of ${s.multipleOf}.`);
    }
  } else if (type === "boolean") {
    if (typeof value !== "boolean") fail("Must be yes or no.");
  } else if (type === "array") {
    if (!Array.isArray(value)) return [{ path, message: "Must be a list." }];
    if (s.minItems !== undefined && value.length < s.minItems) fail(`At least ${s.minItems} items.`);
    if (s.maxItems !== undefined && value.length > s.maxItems) fail(`At most ${s.maxItems} items.`);
    if (s.items) value.forEach((item, index) => errors.push(...validate(s.items, item, root, join(path, index))));
  } else if (type === "object") {
    if (typeof value !== "object" || Array.isArray(value)) return [{ path, message: "Must be an object." }];
    for (const name of s.required || []) {
      if (value[name] === undefined) errors.push({ path: join(path, name), message: "Required." });
    }
    for (const [name, item] of Object.entries(value)) {
      const property = s.properties?.[name];
      if (property) errors.push(...validate(property, item, root, join(path, name)));
      else if (s.additionalProperties === false) errors.push({ path: join(path, name), message: "Not an allowed field." });
      else if (typeof s.additionalProperties === "object") {
        errors.push(...validate(s.additionalProperties, item, root, join(path, name)));
      }
    }
  }
  return errors;
}

function join(path, key) {
  return path === "" ? String(key) : `${path}.${key}`;
}

// -- the form -------------------------------------------------------------------------------------
export function schemaForm(schema, { values = {}, idPrefix = "answer" } = {}) {
  const root = schema || {};
  const fields = new Map(); // path -> { read, write, input, error }
  const element = h("div", { class: "schema-form" });
  const rootSchema = unwrap(root, root);
  if (typeOf(rootSchema) === "object" && rootSchema.properties) {
    element.append(...objectFields(rootSchema, "", new Set(rootSchema.required || [])));
  } else {
    element.append(field("", "Answer (JSON)", rootSchema, true));
  }

  function objectFields(objectSchema, path, required) {
    return Object.entries(objectSchema.properties || {}).map(([name, property]) => {
      const child = unwrap(property, root);
      const childPath = join(path, name);
      if (typeOf(child) === "object" && child.properties) {
        const inner = new Set(child.required || []);
        return h(
          "fieldset",
          { id: `${idPrefix}-${childPath.replaceAll(".", "-")}` },
          h("legend", {}, title(name, child), required.has(name) ? h("span", { class: "required" }, " *") : null),
          child.description ? h("p", { class: "hint" }, child.description) : null,
          objectFields(child, childPath, inner),
        );
      }
      return field(childPath, title(name, child), child, required.has(name));
    });
  }

  function field(path, label, s, required) {
    const id = `${idPrefix}-${path ? path.replaceAll(".", "-") : "value"}`;
    const hintId = s.description ? uid("hint") : null;
    const errorId = `${id}-error`;
    const type = typeOf(s);
    const describedBy = [hintId, errorId].filter(Boolean).join(" ");
    const common = { id, name: path || "value", "aria-describedby": describedBy, "aria-required": required ? "true" : null };
    let input;
    let read;
    let write;
    if (Array.isArray(s.enum)) {
      input = h("select", common, required ? null : h("option", { value: "" }, "—"),
        s.enum.map((option) => h("option", { value: JSON.stringify(option) }, String(option))));
      read = () => (input.value === "" ? undefined : JSON.parse(input.value));
      write = (value) => { input.value = value === undefined || value === null ? "" : JSON.stringify(value); };
    } else if (type === "boolean") {
      input = h("input", { ...common, type: "checkbox" });
      read = () => input.checked;
      write = (value) => { input.checked = Boolean(value); };
    } else if (type === "number" || type === "integer") {
      input = h("input", { ...common, type: "text", inputmode: type === "integer" ? "numeric" : "decimal", autocomplete: "off" });
      read = () => {
        const text = input.value.trim();
        if (text === "") return undefined;
        const number = Number(text);
        return Number.isNaN(number) ? text : number;
      };
      write = (value) => { input.value = value === undefined || value === null ? "" : String(value); };
    } else if (type === "string") {
      const long = (s.maxLength || 0) > 300;
      input = long ? h("textarea", { ...common, rows: 4 }) : h("input", { ...common, type: "text", autocomplete: "off" });
      read = () => (input.value === "" ? undefined : input.value);
      write = (value) => { input.value = value === undefined || value === null ? "" : String(value); };
    } else {
      input = h("textarea", { ...common, rows: 5, class: "mono", spellcheck: "false" });
      read = () => {
        const text = input.value.trim();
        if (text === "") return undefined;
        try {
          return JSON.parse(text);
        } catch {
          return { __invalidJson: text };
        }
      };
      write = (value) => { input.value = value === undefined ? "" : JSON.stringify(value, null, 2); };
    }
    const error = h("p", { class: "field-error", id: errorId });
    fields.set(path, { read, write, input, error, schema: s, required });
    const labelText = [label, required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null];
    const wrapper = type === "boolean"
      ? h("div", { class: "field" }, h("label", { class: "checkbox", for: id }, input, labelText))
      : h("div", { class: "field" }, h("label", { for: id }, labelText), input);
    if (hintId) wrapper.append(h("p", { class: "hint", id: hintId }, s.description));
    else if (!["boolean"].includes(type) && (type === undefined || type === "array" || type === "object")) {
      wrapper.append(h("p", { class: "hint" }, "JSON"));
    }
    wrapper.append(error);
    return wrapper;
  }

  function value() {
    const result = {};
    for (const [path, entry] of fields) {
      const item = entry.read();
      if (item === undefined) continue;
      if (path === "") return item;
      let target = result;
      const keys = path.split(".");
      for (const key of keys.slice(0, -1)) target = target[key] ??= {};
      target[keys.at(-1)] = item;
    }
    return result;
  }

  function setValues(data) {
    for (const [path, entry] of fields) {
      let item = data;
      for (const key of path ? path.split(".") : []) item = item?.[key];
      entry.write(item);
    }
  }

  function clearErrors() {
    for (const entry of fields.values()) {
      entry.error.textContent = "";
      entry.input.removeAttribute("aria-invalid");
    }
  }

  // errors: [{path, message}]; returns those that name no field (shown by the caller).
  function showErrors(errors, source) {
    clearErrors();
    const unplaced = [];
    let first = null;
    for (const { path, message } of errors) {
      let target = path;
      while (target && !fields.has(target)) target = target.includes(".") ? target.slice(0, target.lastIndexOf(".")) : "";
      const entry = fields.get(target);
      if (!entry || (target === "" && path !== "")) {
        unplaced.push({ path, message });
        continue;
      }
      const prefix = source === "server" ? "Server: " : "";
      entry.error.textContent = entry.error.textContent ? `${entry.error.textContent} ${message}` : `${prefix}${message}`;
      entry.input.setAttribute("aria-invalid", "true");
      first ??= entry.input;
    }
    first?.focus();
    return unplaced;
  }

  function check() {
    const data = value();
    const invalidJson = [];
    for (const [path, entry] of fields) {
      const item = entry.read();
      if (item && typeof item === "object" && "__invalidJson" in item) invalidJson.push({ path, message: "Not valid JSON." });
    }
    if (invalidJson.length) return { data, errors: invalidJson };
    return { data, errors: validate(root, data, root) };
  }

  setValues(values);
  return { element, value, setValues, showErrors, clearErrors, check, fields };
}

// The API names fields of an input answer `data.<field>`; the form names them `<field>`.
export function fromServerErrors(errors) {
  return errors.map((error) => ({
    path: String(error.field || "").replace(/^data(\.|$)/, ""),
    message: error.message,
  }));
}
