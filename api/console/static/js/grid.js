// Live camera grid: annotated MJPEG per camera, state badge and per-zone counts polled from GET /cameras.
import { get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";

const POLL_MS = 1500;
// Browsers allow 6 HTTP/1.1 connections per host; each MJPEG stream holds one open, and the event stream
// and API calls need theirs. Past this many cameras the other tiles refresh a snapshot once a second.
const MAX_STREAMS = 4;

/** running / reconnecting / stalled / offline from the runtime's camera state names. */
export function displayState(camera) {
  const state = camera.state ?? camera.status ?? "offline";
  if (state === "running" || state === "stalled") return state;
  if (state === "reconnecting" || state === "connecting") return "reconnecting";
  return "offline";
}

function zoneCounts(camera) {
  const counts = camera.zone_counts ?? {};
  return Array.isArray(counts) ? counts.map((z) => [z.zone ?? z.id, z.count]) : Object.entries(counts);
}

function activeCount(camera) {
  const active = camera.active_events ?? [];
  return Array.isArray(active) ? active.length : Number(active) || 0;
}

function activeTypes(camera) {
  const active = Array.isArray(camera.active_events) ? camera.active_events : [];
  return new Set(active.map((e) => (typeof e === "string" ? e : e.type)));
}

class Tile {
  constructor(camera, streamed) {
    this.id = camera.id;
    this.img = h("img", { class: "live", alt: camera.name || camera.id });
    this.streamed = streamed;
    this.name = h("span", { class: "cam-name" });
    this.badge = h("span", { class: "badge" });
    this.fps = h("span", { class: "fps" });
    this.counts = h("div", { class: "zone-counts" });
    this.el = h("section", { class: "tile", dataset: { cameraId: camera.id } },
      h("header", {}, this.name, h("span", { class: "tile-meta" }, this.fps, this.badge)),
      h("div", { class: "frame" }, this.img, h("span", { class: "no-frame" }, t("grid.no_frame"))), this.counts);
    this.el.classList.add("waiting");
    this.img.addEventListener("load", () => this.el.classList.remove("waiting"));
    this.img.addEventListener("error", () => (this.el.classList.add("waiting"), this.retry()));
    this.start();
  }

  src() {
    const base = `/cameras/${encodeURIComponent(this.id)}`;
    return this.streamed ? `${base}/stream.mjpeg` : `${base}/snapshot.jpg?t=${Date.now()}`;
  }

  start() {
    this.img.src = this.src();
    if (!this.streamed) this.timer = setInterval(() => (this.img.src = this.src()), 1000);
  }

  retry() {
    // A stream ends when the server restarts or the camera is replaced: reopen it after a pause.
    if (this.stopped || !this.streamed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => !this.stopped && (this.img.src = `${this.src()}?r=${Date.now()}`), 2000);
  }

  update(camera) {
    const state = displayState(camera);
    this.name.textContent = camera.name || camera.id;
    this.name.title = this.name.textContent; // the full name when the tile is too narrow for it
    this.badge.textContent = t(`state.${state}`);
    this.badge.className = `badge state-${state}`;
    this.el.dataset.state = state;
    this.badge.title = camera.last_error || "";  // why it is reconnecting or offline, on hover
    this.fps.textContent = state === "running" && camera.fps ? `${camera.fps.toFixed(1)} fps` : "";
    // A camera with a view stream is analysed (and shown here) on its sub-stream: say where the full picture is.
    const view = camera.config?.view_source;
    this.fps.dataset.role = view ? "detect" : "";
    this.fps.title = view ? t("grid.detect_stream", { url: view }) : "";
    const types = activeTypes(camera);
    this.el.classList.toggle("alarm-weapon", types.has("weapon"));
    this.el.classList.toggle("alarm-crowding", !types.has("weapon") && types.has("crowding"));
    this.el.classList.toggle("alarm-loitering", !types.has("weapon") && !types.has("crowding") && types.has("loitering"));
    const active = activeCount(camera);
    fill(this.counts,
      zoneCounts(camera).map(([zone, count]) =>
        h("span", { class: "chip", dataset: { zone } }, t("grid.zone_count", { zone, count }))),
      active ? h("span", { class: "chip chip-alarm" }, t("grid.active", { count: active })) : null);
  }

  stop() {
    // Clearing src closes the MJPEG connection at once instead of when the element is collected.
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.img.removeAttribute("src");
  }
}

/** Mount the grid in `root`; returns a function that stops polling and closes every stream. */
export function mountGrid(root, onCameras = () => {}) {
  const tiles = new Map();
  const grid = h("div", { class: "grid" });
  const empty = h("p", { class: "empty", hidden: true }, t("grid.empty"));
  fill(root, grid, empty);
  let timer = null;
  let stopped = false;

  async function poll() {
    try {
      const cameras = await get("/cameras");
      if (stopped) return;
      onCameras(cameras);
      const ids = new Set(cameras.map((c) => c.id));
      for (const [id, tile] of tiles) if (!ids.has(id)) (tile.stop(), tile.el.remove(), tiles.delete(id));
      cameras.forEach((camera, index) => {
        if (!tiles.has(camera.id)) {
          const tile = new Tile(camera, tiles.size < MAX_STREAMS);
          tiles.set(camera.id, tile);
          grid.append(tile.el);
        }
        tiles.get(camera.id).update(camera);
        // Near-square layouts keep tiles as large as the screen allows: 2 cameras side by side, 3-4 in 2x2, ...
        grid.dataset.cols = String(Math.min(4, Math.ceil(Math.sqrt(cameras.length))));
        if (grid.children[index] !== tiles.get(camera.id).el) grid.insertBefore(tiles.get(camera.id).el, grid.children[index]);
      });
      empty.hidden = cameras.length > 0;
    } catch {
      // Polling goes on; a restarting server answers again shortly.
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    tiles.forEach((tile) => tile.stop());
  };
}
