// Renders an OpenAPI 3.1 document (this API's own, from /v1/openapi.json) as a page: no libraries, no
// CDN. Everything from the document is inserted as text, never as HTML.
"use strict";

const params = new URLSearchParams(location.search);
const SPEC_URL = params.get("spec") === "acp" ? "/v1/openapi/acp.json" : "/v1/openapi.json";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A little Markdown: paragraphs, "## " headings, "* " lists, `code` and **bold**. Text stays text.
function inline(text) {
  const parts = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    if (match[1] !== undefined) parts.push(el("code", {}, match[1]));
    else if (match[2] !== undefined) parts.push(el("strong", {}, match[2]));
    else parts.push(/^https?:\/\//.test(match[4]) ? el("a", { href: match[4], rel: "noreferrer" }, match[3]) : match[3]);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function markdown(text) {
  const box = el("div", { class: "md" });
  if (!text) return box;
  for (const block of String(text).split(/\n\s*\n/)) {
    const lines = block.split("\n");
    const heading = /^(#{1,4})\s+(.*)$/.exec(lines[0]);
    if (heading) {
      box.append(el("h" + Math.min(6, heading[1].length + 2), {}, inline(heading[2])));
      lines.shift();
      if (!lines.length) continue;
    }
    if (/^\s*[*-]\s/.test(lines[0])) {
      const list = el("ul");
      for (const line of lines) {
        if (/^\s*[*-]\s/.test(line)) list.append(el("li", {}, inline(line.replace(/^\s*[*-]\s/, ""))));
        else if (list.lastChild) list.lastChild.append(" ", ...inline(line.trim()));
      }
      box.append(list);
    } else {
      box.append(el("p", {}, inline(lines.join(" "))));
    }
  }
  return box;
}

function refName(ref) {
  return ref.split("/").pop();
}

function resolve(spec, node) {
  let seen = 0;
  while (node && node.$ref && seen++ < 20) {
    node = node.$ref.slice(2).split("/").reduce((n, key) => n && n[key.replace(/~1/g, "/").replace(/~0/g, "~")], spec);
  }
  return node || {};
}

// A schema as a short type expression with links to named components.
function typeOf(schema) {
  if (!schema) return ["any"];
  if (schema.$ref) return [el("a", { href: "#schema-" + refName(schema.$ref) }, refName(schema.$ref))];
  for (const key of ["oneOf", "anyOf"]) {
    if (schema[key]) return schema[key].flatMap((s, i) => (i ? [" | ", ...typeOf(s)] : typeOf(s)));
  }
  if (schema.allOf) return schema.allOf.flatMap((s, i) => (i ? [" & ", ...typeOf(s)] : typeOf(s)));
  if ("const" in schema) return [JSON.stringify(schema.const)];
  if (schema.enum) return [schema.enum.map((v) => JSON.stringify(v)).join(" | ")];
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (!types.length) return ["any"];
  return types.flatMap((type, i) => {
    const sep = i ? [" | "] : [];
    if (type === "array") return [...sep, "array of ", ...typeOf(schema.items)];
    if (type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
      return [...sep, "map of ", ...typeOf(schema.additionalProperties)];
    }
    return [...sep, type + (schema.format ? ` (${schema.format})` : "")];
  });
}

function propertiesTable(spec, schema) {
  schema = resolve(spec, schema);
  if (!schema.properties) return null;
  const required = new Set(schema.required || []);
  return el("table", {},
    el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description")),
    Object.entries(schema.properties).map(([name, prop]) =>
      el("tr", {},
        el("td", {}, el("code", {}, name), required.has(name) ? "" : el("span", { class: "muted" }, " optional")),
        el("td", {}, typeOf(prop)),
        el("td", {}, markdown(prop.description)))));
}

function operation(spec, path, method, op, shared) {
  const params = [...shared, ...(op.parameters || [])].map((p) => resolve(spec, p));
  const section = el("section", { class: "op", id: "op-" + (op.operationId || method + path) },
    el("div", {}, el("span", { class: "method " + method }, method.toUpperCase()), el("span", { class: "path" }, path)),
    el("p", {}, el("strong", {}, op.summary || ""), op.operationId ? el("span", { class: "muted" }, "  " + op.operationId) : null),
    markdown(op.description));
  if (params.length) {
    section.append(el("h4", {}, "Parameters"), el("table", {},
      el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")),
      params.map((p) => el("tr", {}, el("td", {}, el("code", {}, p.name), p.required ? "" : el("span", { class: "muted" }, " optional")),
        el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", {}, markdown(p.description))))));
  }
  if (op.requestBody) {
    const body = resolve(spec, op.requestBody);
    section.append(el("h4", {}, "Request body", body.required ? "" : " (optional)"));
    for (const [type, media] of Object.entries(body.content || {})) {
      section.append(el("p", {}, el("code", {}, type), " ", typeOf(media.schema)));
    }
  }
  section.append(el("h4", {}, "Responses"), el("table", {},
    Object.entries(op.responses || {}).map(([status, response]) => {
      const described = resolve(spec, response);
      const types = Object.entries(described.content || {}).map(([type, media]) =>
        el("div", {}, el("code", {}, type), " ", typeOf(media.schema)));
      return el("tr", {}, el("td", { class: "status" }, status), el("td", {}, markdown(described.description)), el("td", {}, types));
    })));
  return section;
}

function render(spec) {
  const main = document.getElementById("main");
  const toc = document.getElementById("toc");
  main.replaceChildren();
  toc.replaceChildren();
  document.title = `${spec.info.title} ${spec.info.version}`;
  main.append(el("h1", {}, spec.info.title, " ", el("span", { class: "muted" }, spec.info.version)),
    spec.info.summary ? el("p", {}, spec.info.summary) : null, markdown(spec.info.description));

  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, item[method], item.parameters || []]);
    }
  }
  const tagDocs = new Map((spec.tags || []).map((t) => [t.name, t.description]));
  for (const [tag, ops] of byTag) {
    toc.append(el("h4", {}, tag));
    main.append(el("h2", { id: "tag-" + tag }, tag), markdown(tagDocs.get(tag)));
    for (const [path, method, op, shared] of ops) {
      toc.append(el("a", { href: "#op-" + (op.operationId || method + path) }, method.toUpperCase() + " " + path));
      main.append(operation(spec, path, method, op, shared));
    }
  }
  const schemas = (spec.components && spec.components.schemas) || {};
  if (Object.keys(schemas).length) {
    toc.append(el("h4", {}, "schemas"));
    main.append(el("h2", { id: "schemas" }, "Schemas"));
    for (const [name, schema] of Object.entries(schemas)) {
      toc.append(el("a", { href: "#schema-" + name }, name));
      main.append(el("section", { class: "op", id: "schema-" + name },
        el("h3", {}, name, " ", el("span", { class: "muted" }, typeOf({ ...schema, description: undefined, properties: undefined }))),
        markdown(schema.description), propertiesTable(spec, schema),
        el("details", {}, el("summary", {}, "JSON Schema"), el("pre", {}, JSON.stringify(schema, null, 2)))));
    }
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

async function main() {
  document.getElementById("raw").setAttribute("href", SPEC_URL);
  try {
    const response = await fetch(SPEC_URL, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${SPEC_URL} answered ${response.status}`);
    render(await response.json());
  } catch (error) {
    document.getElementById("toc").replaceChildren();
    document.getElementById("main").replaceChildren(el("p", { class: "error" }, String(error)));
  }
}

main();
