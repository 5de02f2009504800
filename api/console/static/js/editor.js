// Zone editor page (#/zones/{camera}): polygon over the clean frame, rules form, save through the zones API.
import { api, fieldErrors, get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./notify.js";
import { PolygonCanvas } from "./polygon.js";
import { can } from "./session.js";
import { schedulePanel } from "./schedules.js";
import { showErrors, zoneForm } from "./zone_form.js";

function zonesPath(camera, zoneId) {
  const base = `/cameras/${encodeURIComponent(camera)}/zones`;
  return zoneId ? `${base}/${encodeURIComponent(zoneId)}` : base;
}

/** Mount the editor in `root` for `cameraId` (first camera when absent); returns an unmount function. */
export function mountEditor(root, cameraId) {
  let stopped = false;
  let retry = null;
  const state = { cameras: [], camera: null, zones: [], zone: null, isNew: true, classes: [], schedules: [], form: null };
  const editable = can("edit");
  const img = h("img", { class: "editor-frame", alt: "" });
  const canvas = h("canvas", { class: "editor-canvas", "aria-label": t("editor.help") });
  const count = h("span", { class: "point-count" });
  const polygon = new PolygonCanvas(canvas, (points) => (count.textContent = t("editor.points", { count: points.length })));
  polygon.editable = editable;
  const cameraSelect = h("select", { name: "camera", "aria-label": t("editor.camera") });
  const zoneList = h("div", { class: "zone-list" });
  const formSlot = h("div", { class: "form-slot" });
  const page = h("div", { class: "editor" },
    h("div", { class: "editor-bar" }, h("label", {}, t("editor.camera"), " ", cameraSelect), zoneList,
      editable ? h("button", { type: "button", class: "btn", name: "new-zone", onclick: () => pick(null) }, t("editor.new_zone")) : null,
      h("button", { type: "button", class: "btn", name: "reload", onclick: () => loadFrame() }, t("editor.reload")),
      editable ? h("button", { type: "button", class: "btn", name: "clear", onclick: () => (polygon.set([], others()), count.textContent = t("editor.points", { count: 0 })) }, t("editor.clear")) : null),
    h("div", { class: "editor-main" },
      h("div", { class: "stage-wrap" },
        h("div", { class: "stage" }, img, canvas),
        h("div", { class: "field", dataset: { path: "polygon" } }, h("small", { class: "hint" }, editable ? t("editor.help") : t("editor.readonly")), " ", count,
          h("small", { class: "field-error" }))),
      h("aside", { class: "editor-side" }, formSlot, schedulePanel({ editable, onSaved: schedulesChanged }))));
  fill(root, h("h2", {}, t("editor.title")), page);
  cameraSelect.addEventListener("change", () => (location.hash = `#/zones/${encodeURIComponent(cameraSelect.value)}`));

  const others = () => state.zones.filter((z) => z.id !== state.zone?.id);

  function loadFrame() {
    clearTimeout(retry);
    img.src = `/cameras/${encodeURIComponent(state.camera)}/snapshot.jpg?overlay=false&t=${Date.now()}`;
  }
  // Keep the whole frame on screen: cap the stage's width by the height left below the toolbar.
  img.addEventListener("load", () => {
    const room = window.innerHeight - img.parentElement.getBoundingClientRect().top - 60;
    img.parentElement.style.maxWidth = `${Math.max(320, (room * img.naturalWidth) / img.naturalHeight)}px`;
  });
  // No frame yet (camera starting or reconnecting): try again shortly.
  img.addEventListener("error", () => !stopped && (retry = setTimeout(loadFrame, 1500)));

  function pick(zone) {
    state.zone = zone;
    state.isNew = zone === null;
    showErrors(page, []);
    polygon.set(zone?.polygon ?? [], others());
    count.textContent = t("editor.points", { count: polygon.points.length });
    zoneList.querySelectorAll("button").forEach((b) => b.classList.toggle("active", b.dataset.zone === zone?.id));
    renderForm(zone ?? {});
  }

  function renderForm(values) {
    const zone = state.zone;
    const form = zoneForm(values, { classes: state.classes, schedules: state.schedules, isNew: state.isNew });
    state.form = form;
    fill(formSlot, form.el, editable ? h("div", { class: "form-buttons" },
      h("button", { type: "button", class: "btn btn-primary", name: "save", onclick: () => save(form) }, t("editor.save")),
      zone ? h("button", { type: "button", class: "btn btn-danger", name: "delete", onclick: () => remove(zone) }, t("editor.delete")) : null) : null);
    form.el.querySelectorAll("input").forEach((i) => (i.disabled = !editable || i.disabled));
  }

  /** New schedule names: rebuild the form from what is typed so far, so no edit is lost. */
  function schedulesChanged(names) {
    state.schedules = names;
    if (state.form) renderForm(state.form.read(polygon.points));
  }

  async function loadZones(selectId) {
    const reply = await get(zonesPath(state.camera));
    state.zones = Array.isArray(reply) ? reply : reply.zones ?? reply.items ?? [];
    fill(zoneList, state.zones.map((z) => h("button", { type: "button", class: "btn zone-btn", dataset: { zone: z.id },
      onclick: () => pick(z) }, z.id)));
    pick(state.zones.find((z) => z.id === selectId) ?? (editable ? null : state.zones[0] ?? null));
  }

  async function save(form) {
    const body = form.read(polygon.points);
    try {
      if (state.isNew) await api("POST", zonesPath(state.camera), body);
      else await api("PUT", zonesPath(state.camera, state.zone.id), body);
      showErrors(page, []);
      toast(t("editor.saved"));
      await loadZones(body.id);
    } catch (error) {
      showErrors(page, fieldErrors(error));
      if (error.status === 403) toast(t("error.forbidden"), "error");
    }
  }

  async function remove(zone) {
    if (!window.confirm(t("editor.confirm_delete", { zone: zone.id }))) return;
    try {
      await api("DELETE", zonesPath(state.camera, zone.id));
      toast(t("editor.deleted"));
      await loadZones(null);
    } catch (error) {
      toast(t("error.generic", { detail: error.message }), "error");
    }
  }

  async function start() {
    const [cameras, detector, schedules] = await Promise.all([
      get("/cameras"), get("/detector").catch(() => ({ classes: [] })), get("/schedules").catch(() => ({})),
    ]);
    if (stopped) return;
    Object.assign(state, { cameras, classes: detector.classes ?? [], schedules: Object.keys(schedules) });
    if (!cameras.length) return fill(page, h("p", { class: "empty" }, t("editor.no_camera")));
    state.camera = cameras.some((c) => c.id === cameraId) ? cameraId : cameras[0].id;
    fill(cameraSelect, cameras.map((c) => h("option", { value: c.id, selected: c.id === state.camera }, c.name || c.id)));
    loadFrame();
    await loadZones(null);
  }
  start().catch((error) => !stopped && toast(t("error.generic", { detail: error.message }), "error"));
  return () => {
    stopped = true;
    clearTimeout(retry);
  };
}
