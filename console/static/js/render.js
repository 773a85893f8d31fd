// Readable renderings of data: a JSON tree (collapsible, keyboard-operable <details>) and a small,
// safe Markdown subset for text fields. Both build DOM nodes; nothing is ever parsed as HTML.
import { h } from "./dom.js";

const OPEN_DEPTH = 2;

export function jsonTree(value, { label } = {}) {
  return h("div", { class: "json", role: "group", "aria-label": label || "JSON" }, node(value, 0));
}

function node(value, depth) {
  if (value === null) return h("span", { class: "null" }, "null");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", {}, "[]");
    return branch(`[${value.length}]`, value.map((item, index) => [String(index), item]), depth);
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) return h("span", {}, "{}");
    return branch(`{${entries.length}}`, entries, depth);
  }
  if (typeof value === "string") return h("span", { class: "string" }, JSON.stringify(value));
  return h("span", { class: typeof value }, String(value));
}

function branch(summary, entries, depth) {
  return h(
    "details",
    { open: depth < OPEN_DEPTH },
    h("summary", {}, summary),
    h("ul", {}, entries.map(([key, item]) => h("li", {}, h("span", { class: "key" }, key), ": ", node(item, depth + 1)))),
  );
}

// -- Markdown ----------------------------------------------------------------------------------------
// Headings, paragraphs, lists, block quotes, fenced code, rules; inline code, bold, italics and links
// (http, https and mailto only, opened without a referrer).
export function markdown(text) {
  const root = h("div", { class: "markdown" });
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      i += 1;
    } else if (/^```/.test(line)) {
      const code = [];
      i += 1;
      while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
      i += 1;
      root.append(h("pre", {}, h("code", {}, code.join("\n"))));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length + 1, 6); // the page owns h1
      root.append(h(`h${level}`, {}, inline(line.replace(/^#+\s*/, ""))));
      i += 1;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h("hr"));
      i += 1;
    } else if (/^\s*>/.test(line)) {
      const quote = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) quote.push(lines[i++].replace(/^\s*>\s?/, ""));
      root.append(h("blockquote", {}, inline(quote.join(" "))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        list.append(h("li", {}, inline(lines[i++].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
      }
      root.append(list);
    } else {
      const paragraph = [];
      while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^(```|#{1,6}\s|\s*>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i])) {
        paragraph.push(lines[i++]);
      }
      root.append(h("p", {}, inline(paragraph.join(" "))));
    }
  }
  return root;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(__[^_]+__)|(\*[^*\s][^*]*\*)|(_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

export function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index) out.push(rest.slice(0, match.index));
    const token = match[0];
    if (token.startsWith("`")) out.push(h("code", {}, token.slice(1, -1)));
    else if (token.startsWith("**") || token.startsWith("__")) out.push(h("strong", {}, token.slice(2, -2)));
    else if (token.startsWith("*") || token.startsWith("_")) out.push(h("em", {}, token.slice(1, -1)));
    else {
      const [, label, href] = token.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      out.push(safeLink(href) ? h("a", { href, rel: "noopener noreferrer", target: "_blank" }, label) : token);
    }
    rest = rest.slice(match.index + token.length);
  }
  return out;
}

function safeLink(href) {
  try {
    return ["http:", "https:", "mailto:"].includes(new URL(href).protocol);
  } catch {
    return false;
  }
}

// Text that reads better as Markdown than as a JSON string: several lines, or Markdown marks.
export function looksLikeMarkdown(value) {
  return typeof value === "string" && (value.includes("\n") || /(^|\s)(#{1,6}\s|[-*]\s|\*\*|`)/.test(value));
}

// A payload, readably: each text field as Markdown or text, everything else as a JSON tree.
export function readable(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return looksLikeMarkdown(value) ? markdown(value) : jsonTree(value);
  }
  const list = h("div", { class: "readable" });
  for (const [key, item] of Object.entries(value)) {
    let shown;
    if (looksLikeMarkdown(item)) shown = markdown(item);
    else if (typeof item === "string") shown = h("p", {}, item);
    else shown = jsonTree(item, { label: key });
    list.append(h("h3", {}, key), shown);
  }
  return list;
}
