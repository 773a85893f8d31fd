// The signed-in API key lives in sessionStorage (this tab only, gone when it closes) and travels only as
// an Authorization header: never in a URL, a cookie or storage that outlives the tab.

const KEY = "agent-runtime.console.api-key";

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY) || "";
  } catch {
    return "";
  }
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY);
}

export function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// Who the console acts as: { tenant, principal, keyless, keyHint }.
export const identity = { tenant: null, principal: null, keyless: false, keyHint: "" };

export function keyHint(key) {
  return key ? `…${key.slice(-4)}` : "";
}
