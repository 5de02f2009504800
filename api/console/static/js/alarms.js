// The alarm list shared by the feed and the detail page: GET /events, then live records from the SSE stream.
import { get, post, query } from "./api.js";
import { session } from "./session.js";

const items = new Map(); // event id -> item (see fromOut)
// A console stays open for days: keep the newest alarms only (older ones are a click away in the API).
const MAX_ITEMS = 500;
const listeners = new Set();
let source = null;
let lastSeq = 0; // newest record seq received, to resume a stream that had to be reopened
const RECONNECT_MS = 5000;
export const stream = { connected: false };

const SSE_TYPES = ["new", "update", "end", "acknowledged", "dismissed", "resolved"].map((n) => `event.${n}`);
const ENDPOINT = { acknowledged: "ack", dismissed: "dismiss", resolved: "resolve" };

/** An item from an EventOut of GET /events or a POST /events/{id}/<action> reply. */
function fromOut(out) {
  const previous = items.get(out.id) || {};
  return {
    ...previous,
    id: out.id,
    type: out.type,
    camera: out.camera,
    zone: out.zone,
    lifecycle: out.lifecycle,
    state: out.operator_state ?? out.state ?? previous.state ?? "open",
    started_at: out.started_at,
    ended_at: out.ended_at ?? null,
    confidence: out.confidence,
    seq: out.last_seq ?? out.seq ?? previous.seq ?? 0,
    actor: out.acknowledged_by ?? out.actor ?? previous.actor ?? null,
    // EventOut has snapshot_url; a stream record's event has `snapshot` set once the JPEG was written.
    snapshot: out.snapshot_url ?? (out.snapshot ? `/events/${encodeURIComponent(out.id)}/snapshot.jpg` : previous.snapshot ?? null),
  };
}

/** Merge one StoredRecord message of the stream; records older than what we hold are ignored. */
function applyRecord(message) {
  const event = message.data?.event;
  if (!event) return null;
  const previous = items.get(event.id);
  if (previous && message.seq <= previous.seq) return null;
  const item = { ...fromOut(event), seq: message.seq, state: previous?.state ?? "open" };
  const action = message.data.action;
  if (action) Object.assign(item, { state: action.action, actor: action.actor });
  else item.lifecycle = event.lifecycle;
  items.set(item.id, item);
  return item;
}

// Compared as instants: the API writes "...Z" and stream records "...+00:00" for the same UTC time.
const startMs = (item) => Date.parse(item.started_at) || 0;

function prune() {
  if (items.size <= MAX_ITEMS) return;
  const oldest = [...items.values()].sort((a, b) => startMs(a) - startMs(b));
  oldest.slice(0, items.size - MAX_ITEMS).forEach((item) => items.delete(item.id));
}

function emit(item, message) {
  prune();
  listeners.forEach((fn) => fn(item, message));
}

/** fn(item | null, message | null) after every change; null item = bulk reload or connection change. */
export function onAlarm(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function alarm(id) {
  return items.get(id);
}

/** Items matching the filters, newest start first. */
export function alarms(filters = {}) {
  return [...items.values()]
    .filter((i) => !filters.camera || i.camera === filters.camera)
    .filter((i) => !filters.type || i.type === filters.type)
    .filter((i) => !filters.state || i.state === filters.state)
    .sort((a, b) => startMs(b) - startMs(a));
}

export async function loadAlarms(filters = {}) {
  const page = await get(`/events${query({ ...filters, limit: 200 })}`);
  for (const out of page.items || []) {
    const item = fromOut(out);
    const held = items.get(out.id);
    if (!held || item.seq >= held.seq) items.set(out.id, item);
  }
  emit(null, null);
}

/** Open the event stream (once). The list is loaded after the stream is open, so nothing falls in between. */
export function connect(filters = {}) {
  if (source) return;
  const after = lastSeq ? `?after=${lastSeq}` : "";
  const current = (source = new EventSource(`/events/stream${after}`, { withCredentials: true }));
  let loaded = lastSeq > 0;
  source.addEventListener("open", () => {
    stream.connected = true;
    emit(null, null);
    if (!loaded) {
      loaded = true;
      loadAlarms(filters).catch(() => {});
    }
  });
  source.addEventListener("error", () => {
    // On a dropped connection EventSource reconnects by itself and sends Last-Event-ID, so the server
    // resumes where we were. An HTTP error (401 after a key was revoked, 503) closes it for good: check
    // the login, then open a new one that resumes from the last seq seen.
    stream.connected = false;
    emit(null, null);
    if (current.readyState !== EventSource.CLOSED || source !== current) return;
    source = null;
    window.dispatchEvent(new Event("gatewatch:unauthorized"));
    setTimeout(() => source === null && session.principal && connect(filters), RECONNECT_MS);
  });
  for (const type of SSE_TYPES) {
    source.addEventListener(type, (e) => {
      const message = JSON.parse(e.data);
      lastSeq = Math.max(lastSeq, message.seq);
      const item = applyRecord(message);
      if (item) emit(item, message);
    });
  }
}

export function disconnect() {
  source?.close();
  source = null;
  lastSeq = 0;
  stream.connected = false;
  items.clear();
}

/** POST /events/{id}/ack|dismiss|resolve; the reply updates the item at once (the stream confirms it). */
export async function act(id, action, note = null) {
  const out = await post(`/events/${encodeURIComponent(id)}/${ENDPOINT[action]}`, { note });
  const item = { ...fromOut(out), actor: out.acknowledged_by ?? session.principal?.name ?? null };
  items.set(id, item);
  emit(item, null);
  return item;
}

/** Actions allowed from an operator state (mirrors the store's transitions; the API has the last word). */
export function allowedActions(state) {
  if (state === "open") return ["acknowledged", "dismissed", "resolved"];
  if (state === "acknowledged") return ["dismissed", "resolved"];
  return [];
}
