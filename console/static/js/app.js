// The console's shell: who is signed in, the live inbox count, and a hash router (#/inbox, #/runs,
// #/runs/<id>, #/runs/<id>/checkpoints/<id>, #/signin). Routes live in the fragment, which never
// reaches a server; the API key never appears in any URL.
import { api, ApiError, explain, lastTenant, onUnauthorized, setCatalog } from "./api.js";
import { h, replace, tickCountdowns, toast } from "./dom.js";
import { apiKey, forgetApiKey, identity, keyHint, setApiKey } from "./session.js";
import * as store from "./store.js";

const main = document.getElementById("main");
const who = document.getElementById("who");
const count = document.getElementById("inbox-count");

// Each view is loaded when first shown: the inbox doesn't pay for the run view's code.
const ROUTES = [
  [/^\/signin$/, "signin", () => import("./views/signin.js").then((m) => m.renderSignIn)],
  [/^\/inbox$/, "inbox", () => import("./views/inbox.js").then((m) => m.renderInbox)],
  [/^\/runs$/, "runs", () => import("./views/runs.js").then((m) => m.renderRuns)],
  [/^\/runs\/([^/]+)$/, "runs", () => import("./views/run.js").then((m) => m.renderRun)],
  [/^\/runs\/([^/]+)\/checkpoints\/([^/]+)$/, "inbox", () => import("./views/checkpoint.js").then((m) => m.renderCheckpoint)],
];

let cleanup = null;
let signedIn = false;

export function navigate(hash, { replace: replaceEntry = false } = {}) {
  if (replaceEntry) {
    history.replaceState(null, "", hash);
    route();
  } else if (window.location.hash === hash) {
    route();
  } else {
    window.location.hash = hash;
  }
}

function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/inbox";
  const [path, search = ""] = raw.split("?");
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

let routing = 0; // the latest navigation wins: an older one still loading renders nothing

async function route() {
  const ticket = ++routing;
  if (cleanup) {
    try { cleanup(); } catch { /* a view's cleanup must not block the next one */ }
    cleanup = null;
  }
  const { path, query } = parseHash();
  if (!signedIn && path !== "/signin") {
    navigate("#/signin", { replace: true });
    return;
  }
  const match = ROUTES.map(([pattern, nav, view]) => [pattern.exec(path), nav, view]).find(([m]) => m);
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (match && link.dataset.nav === match[1] && path !== "/signin") link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!match) {
    replace(main, h("h1", {}, "Not found"), h("p", {}, "No such page in the console. "), h("a", { href: "#/inbox" }, "Go to the inbox"));
    return;
  }
  const [found, , load] = match;
  const params = found.slice(1).map(decodeURIComponent);
  // Each navigation renders into its own outlet: a slower, older one lands in a detached node.
  const outlet = h("div", { class: "view" }, h("p", { class: "loading", role: "status" }, "Loading…"));
  replace(main, outlet);
  try {
    const view = await load();
    if (ticket !== routing) return;
    const context = { params, query, navigate, signIn, continueWithoutKey, keylessAvailable };
    const stop = (await view(outlet, context)) || null;
    if (ticket !== routing) {
      stop?.();
      return;
    }
    cleanup = stop;
  } catch (error) {
    if (ticket !== routing) return;
    replace(outlet, h("h1", {}, "Something went wrong"), h("p", { class: "notice error", role: "alert" }, explain(error)));
  }
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · agent-runtime console` : "agent-runtime console";
  if (!main.contains(document.activeElement) || document.activeElement === main) main.focus({ preventScroll: true });
}

// -- identity ---------------------------------------------------------------------------------------
async function loadIdentity() {
  identity.tenant = null;
  identity.principal = null;
  identity.keyHint = keyHint(apiKey());
  if (identity.keyless) {
    identity.tenant = "default";
    identity.principal = "local:default";
  }
  if (identity.keyless) {
    renderWho();
    return;
  }
  try {
    // A key's tenant: every authenticated API response names it in X-Tenant.
    lastTenant.value = null;
    await api("/v1/workflows");
    identity.tenant = lastTenant.value ?? identity.tenant;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
  }
  renderWho();
}

function renderWho() {
  if (!signedIn) {
    replace(who);
    return;
  }
  const tenant = identity.tenant
    ? h("span", {}, "Tenant ", h("span", { class: "tenant", id: "tenant" }, identity.tenant))
    : h("span", {}, "Tenant ", h("span", { class: "tenant", id: "tenant", title: "this API does not report the tenant of a key" }, "not reported"));
  const how = identity.keyless
    ? h("span", {}, "no key (local stack)")
    : h("span", {}, "key ", h("span", { class: "mono", id: "key-hint" }, identity.keyHint));
  const action = identity.keyless
    ? h("button", { type: "button", onclick: () => navigate("#/signin") }, "Sign in with a key")
    : h("button", { type: "button", id: "sign-out", onclick: signOut }, "Sign out");
  replace(who, tenant, " · ", how, action);
}

function renderCount(state) {
  if (!signedIn || state.error) return;
  const n = state.items.length;
  count.textContent = n ? `${n}${state.more ? "+" : ""}` : "";
  count.setAttribute("aria-label", `${n}${state.more ? " or more" : ""} pending`);
  count.dataset.count = String(n);
}

async function signIn(key) {
  // The key is checked against the API before it is kept.
  const page = await api("/v1/workflows", { auth: false, headers: { Authorization: `Bearer ${key}` } });
  setApiKey(key);
  setCatalog(page.data);
  identity.keyless = false;
  await start();
}

async function continueWithoutKey() {
  forgetApiKey();
  identity.keyless = true;
  await start();
}

function signOut() {
  forgetApiKey();
  signedIn = false;
  identity.keyless = false;
  store.stop();
  count.textContent = "";
  renderWho();
  navigate("#/signin");
}

async function start() {
  signedIn = true;
  await loadIdentity();
  store.start();
}

onUnauthorized(() => {
  if (!signedIn) return;
  forgetApiKey();
  signedIn = false;
  store.stop();
  renderWho();
  toast("The API refused the key (401): sign in again.");
  navigate("#/signin");
});

async function boot() {
  store.subscribe(renderCount);
  setInterval(() => tickCountdowns(document.body), 1000);
  window.addEventListener("hashchange", route);
  try {
    if (apiKey()) {
      await start();
    } else {
      // Locally, a request without a key acts as tenant `default`; in the cloud it is a 401.
      try {
        const page = await api("/v1/workflows", { auth: false });
        setCatalog(page.data);
        identity.keyless = true;
        await start();
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
      }
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) forgetApiKey();
    else toast(explain(error));
  }
  await route();
  document.documentElement.dataset.ready = "true";
}

function keylessAvailable() {
  return api("/v1/workflows", { auth: false }).then(() => true, () => false);
}

boot();
