// The pending checkpoints of the tenant, polled while the tab is visible: the header's live count and
// the inbox both read it, so the inbox view costs no requests of its own.
import { pages } from "./api.js";

const POLL_MS = 4000;
const MAX_ITEMS = 500;

export const pending = { items: [], more: false, loadedAt: null, error: null };
const listeners = new Set();
let timer = 0;
let running = 0; // the current polling loop
let inFlight = null;

export function subscribe(listener) {
  listeners.add(listener);
  if (pending.loadedAt) listener(pending);
  return () => listeners.delete(listener);
}

let generation = 0; // bumped when the key changes: an answer for the previous key is dropped

export async function refresh() {
  if (inFlight) return inFlight;
  const asked = generation;
  inFlight = (async () => {
    try {
      const { items, more } = await pages("/v1/checkpoints", { status: "pending", limit: 100 }, { maxItems: MAX_ITEMS });
      if (asked !== generation) return;
      Object.assign(pending, { items, more, loadedAt: new Date(), error: null });
    } catch (error) {
      if (asked !== generation) return;
      pending.error = error;
    } finally {
      if (asked === generation) inFlight = null; // else it is a newer key's request now
    }
    for (const listener of listeners) listener(pending);
  })();
  return inFlight;
}

export function start() {
  stop();
  generation += 1;
  inFlight = null;
  Object.assign(pending, { items: [], more: false, loadedAt: null, error: null });
  const loop = running;
  const tick = async () => {
    if (document.visibilityState === "visible") await refresh();
    if (loop === running) timer = setTimeout(tick, POLL_MS);
  };
  tick();
}

export function stop() {
  clearTimeout(timer);
  timer = 0;
  running += 1; // a tick still waiting for its answer won't schedule another
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && timer) refresh();
});
