// Every data call goes to the runtime's own /v1 API on the same origin, with the API key as a header
// (the same authorizer as any client). Errors are the API's RFC 9457 problems.
import { authHeaders } from "./session.js";

// The console is served at <root>/console/ and the API at <root>/v1/: <root> is "" locally and the
// stage ("/dev") behind API Gateway's default URL.
const path = window.location.pathname;
export const apiRoot = path.includes("/console/") ? path.slice(0, path.lastIndexOf("/console/")) : "";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

const listeners = new Set();
// Called with the ApiError whenever the API answers 401 (the key was revoked or mistyped).
export function onUnauthorized(listener) {
  listeners.add(listener);
}

export function url(apiPath, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return `${apiRoot}${apiPath}${text ? `?${text}` : ""}`;
}

// The tenant the API says this key acts for (every authenticated response carries X-Tenant).
export const lastTenant = { value: null };

export async function api(apiPath, { method = "GET", body, query, headers, signal, auth = true } = {}) {
  const init = {
    method,
    signal,
    // X-Answer-Channel: answers sent from here are audited as coming from the console.
    headers: { Accept: "application/json", "X-Answer-Channel": "console", ...(auth ? authHeaders() : {}), ...(headers || {}) },
    credentials: "omit",
    cache: "no-store",
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url(apiPath, query), init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { title: "Network error", detail: `the API could not be reached (${error.message})` });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 300) };
    }
  }
  lastTenant.value = response.headers.get("X-Tenant") || lastTenant.value;
  if (!response.ok) {
    const error = new ApiError(response.status, data && typeof data === "object" ? data : null);
    if (response.status === 401 && auth) for (const listener of listeners) listener(error);
    throw error;
  }
  return data;
}

// Follow next_cursor through a paged list, up to maxItems.
export async function pages(apiPath, query, { maxItems = 500, signal, cursorParam = "cursor" } = {}) {
  const items = [];
  let cursor = null;
  for (;;) {
    const page = await api(apiPath, { query: { ...query, [cursorParam]: cursor }, signal });
    items.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor || !page.data.length || items.length >= maxItems) return { items, more: Boolean(cursor) };
  }
}

// A problem as one human sentence, never a stack trace.
export function explain(error) {
  if (!(error instanceof ApiError)) return `Something went wrong in the console: ${error.message || error}`;
  const { problem, status } = error;
  const title = problem.title || `HTTP ${status}`;
  return problem.detail ? `${title}: ${problem.detail}` : title;
}

// The workflow catalog, fetched once per sign-in.
let catalogPromise = null;
export function catalog() {
  catalogPromise ??= api("/v1/workflows").then((page) => page.data, () => {
    catalogPromise = null;
    return [];
  });
  return catalogPromise;
}

export function setCatalog(data) {
  catalogPromise = data ? Promise.resolve(data) : null;
}
