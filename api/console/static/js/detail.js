// Event detail page (#/events/{id}): snapshot, timeline of records and operator actions, thresholds in force.
import { act, allowedActions, onAlarm } from "./alarms.js";
import { ApiError, get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./notify.js";
import { can } from "./session.js";
import { dateTimeOf } from "./time.js";

const ACTION_LABEL = { acknowledged: "action.ack", dismissed: "action.dismiss", resolved: "action.resolve" };

function row(label, value, name) {
  return h("tr", { dataset: { field: name } }, h("th", {}, t(label)), h("td", {}, value ?? t("detail.none")));
}

function valueText(value) {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** "count 9 · dwell_s 21.4" from a record's detail: the numbers an operator weighs, not track lists. */
function summary(detail) {
  return Object.entries(detail)
    .filter(([, v]) => typeof v === "number" || typeof v === "string")
    .map(([k, v]) => `${k} ${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : v}`)
    .join(" · ");
}

/** Lifecycle records and actions in one list, oldest first. */
function timeline(detail) {
  const records = (detail.records || []).map((r) => {
    const name = r.name ?? r.type?.replace(/^event\./, "") ?? r.lifecycle;
    const action = r.data?.action ?? r.payload?.action ?? r.action ?? null;
    const facts = action ? "" : summary(r.data?.event?.detail ?? {});
    return { seq: r.seq, name, at: r.at ?? r.timestamp, actor: action?.actor, note: action?.note, facts };
  });
  const seen = new Set(records.map((r) => r.seq));
  for (const a of detail.actions || []) {
    if (!seen.has(a.seq)) records.push({ seq: a.seq, name: a.action, at: a.at, actor: a.actor, note: a.note });
    else Object.assign(records.find((r) => r.seq === a.seq), { actor: a.actor, note: a.note });
  }
  return records.sort((a, b) => a.seq - b.seq);
}

/** "name · time" of the acknowledgement, or null when nobody acknowledged it. */
function acknowledged(detail) {
  const ack = (detail.actions || []).find((a) => a.action === "acknowledged");
  return ack ? `${ack.actor} · ${dateTimeOf(ack.at)}` : null;
}

function actionBar(event, reload) {
  if (!can("act")) return null;
  const note = h("input", { type: "text", name: "note", placeholder: t("detail.note"), maxlength: 500 });
  const state = event.operator_state ?? event.state;
  const buttons = allowedActions(state).map((action) =>
    h("button", {
      type: "button", class: `btn btn-${action}`, dataset: { action },
      onclick: async () => {
        try {
          await act(event.id, action, note.value.trim() || null);
          reload();
        } catch (error) {
          toast(t("action.failed", { action: t(ACTION_LABEL[action]), detail: error.message }), "error");
        }
      },
    }, t(ACTION_LABEL[action])));
  return buttons.length ? h("div", { class: "actions detail-actions" }, note, buttons) : null;
}

function render(root, detail, reload) {
  const event = detail.event ?? detail;
  const state = event.operator_state ?? event.state;
  const snapshot = detail.snapshot_url ?? event.snapshot_url ?? `/events/${encodeURIComponent(event.id)}/snapshot.jpg`;
  const thresholds = detail.thresholds ?? event.thresholds ?? {};
  fill(root,
    h("a", { class: "back", href: "#/" }, "← ", t("detail.back")),
    h("div", { class: `detail sev-${event.type}`, dataset: { eventId: event.id, state } },
      h("h2", {}, h("span", { class: "alarm-type" }, t(`type.${event.type}`)), " ", t("detail.title", { id: event.id.slice(0, 8) })),
      h("div", { class: "detail-grid" },
        h("img", { class: "detail-snapshot", src: snapshot, alt: "" }),
        h("div", {},
          h("table", { class: "facts" },
            row("detail.camera", event.camera, "camera"),
            row("detail.zone", event.zone, "zone"),
            row("detail.started", dateTimeOf(event.started_at), "started"),
            row("detail.ended", event.ended_at ? dateTimeOf(event.ended_at) : t("feed.ongoing"), "ended"),
            row("detail.confidence", event.confidence?.toFixed?.(2), "confidence"),
            row("detail.window", event.schedule_window, "window"),
            row("detail.state", t(`opstate.${state}`), "state"),
            row("detail.acknowledged", acknowledged(detail), "acknowledged")),
          actionBar(event, reload),
          h("h3", {}, t("detail.thresholds")),
          h("table", { class: "thresholds" },
            Object.entries(thresholds).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, valueText(v))))),
          h("h3", {}, t("detail.timeline")),
          h("ol", { class: "timeline" },
            timeline(detail).map((r) => h("li", { class: `tl-${r.name}`, dataset: { record: r.name } },
              h("time", {}, dateTimeOf(r.at)), " ",
              h("strong", {}, t(`record.${r.name}`)),
              r.actor ? h("span", { class: "actor" }, " · ", r.actor) : null,
              r.facts ? h("span", { class: "facts-line" }, " ", r.facts) : null,
              r.note ? h("q", { class: "note" }, r.note) : null)))))));
}

/** Mount the detail page for event `id`; it reloads when the stream brings a record of this event. */
export function mountDetail(root, id) {
  let stopped = false;
  async function load() {
    try {
      const detail = await get(`/events/${encodeURIComponent(id)}`);
      if (!stopped) render(root, detail, load);
    } catch (error) {
      const text = error instanceof ApiError && error.status === 404 ? t("detail.not_found") : t("error.generic", { detail: error.message });
      if (!stopped) fill(root, h("a", { class: "back", href: "#/" }, "← ", t("detail.back")), h("p", { class: "error" }, text));
    }
  }
  const off = onAlarm((item) => item && item.id === id && load());
  load();
  return () => {
    stopped = true;
    off();
  };
}
