// Server-sent events over fetch(): EventSource can't send an Authorization header, so the console reads
// the stream itself. The API serves a run's events in windows (docs/decisions.md 5): each response holds
// what happened after the cursor, then closes; the client reconnects with Last-Event-ID until the
// `end` event says the run is terminal and everything was sent.
import { ApiError, url } from "./api.js";
import { authHeaders } from "./session.js";

// The parsing rules of the HTML standard's "event stream interpretation": lines end in CRLF, LF or CR;
// a blank line dispatches; `:` starts a comment; one space after the colon is dropped; `id` sets the
// last event id (unless it holds NUL); `retry` sets the reconnection delay; an event with no data is
// not dispatched, and a half-received event at the end of the stream is dropped.
export class SSEParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = "";
    this.pendingCR = false;
    this.lastEventId = "";
    this.reset();
  }

  reset() {
    this.data = [];
    this.type = "";
  }

  feed(text) {
    let chunk = text;
    if (this.pendingCR && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.pendingCR = false;
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const char = this.buffer[i];
      if (char !== "\n" && char !== "\r") continue;
      this.line(this.buffer.slice(start, i));
      if (char === "\r") {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === "\n") i += 1;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) this.onRetry(Number(value));
  }

  dispatch() {
    if (this.data.length) {
      this.onEvent({ id: this.lastEventId, type: this.type || "message", data: this.data.join("\n") });
    }
    this.reset();
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// Follow a run's events from `after` (0: from the start) across windows. Calls onEvent(event) with the
// parsed Event for every event, onEnd(end) once, onState(text) as the connection changes and
// onError(ApiError) when the API refuses (4xx: no point retrying). Returns a function that stops it.
export function followRun(runId, { after = 0, onEvent, onEnd, onState = () => {}, onError = () => {} }) {
  const controller = new AbortController();
  const { signal } = controller;
  let lastId = after ? String(after) : "";
  let retryMs = 1000;
  let failures = 0;
  let windows = 0;

  async function run() {
    while (!signal.aborted) {
      let ended = false;
      try {
        if (!windows) onState("connecting");
        const headers = { Accept: "text/event-stream", ...authHeaders() };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch(url(`/v1/runs/${encodeURIComponent(runId)}/events`), {
          headers, signal, cache: "no-store", credentials: "omit",
        });
        if (!response.ok) {
          let problem = null;
          try { problem = await response.json(); } catch { problem = null; }
          const error = new ApiError(response.status, problem);
          if (response.status >= 400 && response.status < 500 && response.status !== 429) {
            onState("stopped");
            onError(error);
            return;
          }
          throw error;
        }
        windows += 1;
        onState("live", windows);
        const parser = new SSEParser((event) => {
          if (event.type === "end") {
            ended = true;
            onEnd(JSON.parse(event.data));
            return;
          }
          if (event.id) lastId = event.id;
          onEvent(JSON.parse(event.data));
        }, (ms) => { retryMs = ms; });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
        parser.feed(decoder.decode());
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        onState("offline, retrying");
      }
      if (ended) {
        onState("ended");
        return;
      }
      // A window closed (or the connection failed): reconnect with Last-Event-ID.
      const wait = failures ? Math.min(retryMs * 2 ** failures, 15_000) : retryMs;
      await sleep(wait, signal);
    }
  }

  run();
  return () => controller.abort();
}
