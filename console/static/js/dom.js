// DOM helpers. Everything the API returns is put on the page as text nodes or attribute values, never
// parsed as HTML (no innerHTML anywhere in the console), so a checkpoint's payload can't inject markup.

export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      element.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled" || name === "open") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// -- time ------------------------------------------------------------------------------------------
export function parseTime(iso) {
  return iso ? Date.parse(iso) : NaN;
}

export function formatTime(iso) {
  const ms = parseTime(iso);
  if (Number.isNaN(ms)) return "—";
  return new Date(ms).toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export function timeElement(iso) {
  return h("time", { datetime: iso, title: iso }, formatTime(iso));
}

export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return "—";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest)} ms`;
  if (rest < 60_000) return `${sign}${(rest / 1000).toFixed(rest < 10_000 ? 2 : 1)} s`;
  const parts = [];
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]]) {
    if (rest >= size || (unit === "s" && parts.length < 2)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(" ");
}

export function ago(iso, now = Date.now()) {
  const ms = parseTime(iso);
  if (Number.isNaN(ms)) return "";
  const delta = now - ms;
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

// A deadline countdown: the element is updated every second by tickCountdowns().
export function countdown(expiresAt) {
  const element = h("time", { class: "countdown", datetime: expiresAt || "", dataset: { deadline: expiresAt || "" } });
  updateCountdown(element, Date.now());
  return element;
}

export function updateCountdown(element, now) {
  const deadline = parseTime(element.dataset.deadline);
  if (Number.isNaN(deadline)) {
    element.textContent = "no deadline";
    element.className = "countdown none";
    return;
  }
  const left = deadline - now;
  element.title = `deadline ${formatTime(element.dataset.deadline)}`;
  if (left <= 0) {
    element.textContent = `deadline passed ${formatDuration(-left)} ago`;
    element.className = "countdown overdue";
  } else {
    element.textContent = `due in ${formatDuration(left)}`;
    element.className = left < 5 * 60_000 ? "countdown soon" : "countdown";
  }
}

export function tickCountdowns(root, now = Date.now()) {
  for (const element of root.querySelectorAll("time.countdown")) updateCountdown(element, now);
}

// -- small pieces ----------------------------------------------------------------------------------
export function badge(text, kind) {
  return h("span", { class: ["badge", kind || text] }, String(text).replaceAll("_", " "));
}

export function formatBytes(size) {
  if (!Number.isFinite(size)) return "—";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function shortId(id) {
  return id && id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function facts(pairs) {
  const list = h("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined) continue;
    list.append(h("dt", {}, term), h("dd", {}, value === null ? "—" : value));
  }
  return list;
}

let toastTimer = 0;
export function toast(message) {
  const element = document.getElementById("toast");
  if (!element) return;
  element.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.textContent = ""; }, 6000);
}

// Query strings of hash routes (#/inbox?assignee=ana) <-> objects.
export function queryOf(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}
