// The live alarm feed: filters, newest first, severity colours, operator actions, in-place updates.
import { act, alarms, allowedActions, connect, loadAlarms, onAlarm, stream } from "./alarms.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./notify.js";
import { can } from "./session.js";
import { timeOf } from "./time.js";

const TYPES = ["weapon", "crowding", "loitering"];
const STATES = ["open", "acknowledged", "dismissed", "resolved"];
const ACTION_LABEL = { acknowledged: "action.ack", dismissed: "action.dismiss", resolved: "action.resolve" };

function select(name, allLabel, values, label, onChange) {
  return h(
    "select",
    { name, "aria-label": t(allLabel), onchange: onChange },
    h("option", { value: "" }, t(allLabel)),
    values.map((v) => h("option", { value: v }, label(v))),
  );
}

async function runAction(item, action, button) {
  button.disabled = true;
  try {
    await act(item.id, action);
  } catch (error) {
    toast(t("action.failed", { action: t(ACTION_LABEL[action]), detail: error.message }), "error");
    button.disabled = false;
  }
}

function actionButtons(item) {
  if (!can("act")) return null;
  return h(
    "div",
    { class: "actions" },
    allowedActions(item.state).map((action) => {
      const button = h("button", { type: "button", class: `btn btn-${action}`, dataset: { action } }, t(ACTION_LABEL[action]));
      button.addEventListener("click", () => runAction(item, action, button));
      return button;
    }),
  );
}

function card(item) {
  const ended = item.lifecycle === "end";
  const who = item.actor && item.state !== "open"
    ? t("action.by", { action: t(`opstate.${item.state}`), actor: item.actor }) : t(`opstate.${item.state}`);
  return h(
    "article",
    {
      class: `alarm sev-${item.type} state-${item.state}${ended ? " ended" : " ongoing"}`,
      role: "listitem",
      dataset: { eventId: item.id, state: item.state, type: item.type },
    },
    item.snapshot
      ? h("img", { class: "thumb", src: item.snapshot, alt: "", onerror: (e) => e.target.replaceWith(h("span", { class: "thumb missing" })) })
      : h("span", { class: "thumb missing" }),
    h(
      "div",
      { class: "alarm-body" },
      h("div", { class: "alarm-head" },
        h("span", { class: "alarm-type" }, t(`type.${item.type}`)),
        h("time", { datetime: item.started_at }, timeOf(item.started_at))),
      h("div", { class: "alarm-where" }, item.camera, " · ", t("feed.zone", { zone: item.zone })),
      h("div", { class: "alarm-status" },
        h("span", { class: "lifecycle" }, t(ended ? "feed.ended" : "feed.ongoing")),
        h("span", { class: "opstate" }, who)),
      h("div", { class: "alarm-foot" }, actionButtons(item),
        h("a", { class: "details", href: `#/events/${encodeURIComponent(item.id)}` }, t("feed.details"))),
    ),
  );
}

/** Mount the feed in `root`; returns {unmount, setCameras}. */
export function mountFeed(root) {
  const filters = { camera: "", type: "", state: "" };
  const cameras = new Set(); // camera filter choices: from the grid's poll and from the alarms seen
  const list = h("div", { class: "feed-list", role: "list" });
  const status = h("span", { class: "feed-status" });
  const nodes = new Map(); // event id -> rendered card, reused while its version is unchanged
  let cameraSelect = null;
  const refilter = (key) => (e) => {
    filters[key] = e.target.value;
    loadAlarms(filters).catch(() => {});
    render();
  };
  fill(
    root,
    h("header", { class: "panel-head" }, h("h2", {}, t("feed.title")), status),
    h("div", { class: "filters" },
      (cameraSelect = select("camera", "feed.all_cameras", [], (c) => c, refilter("camera"))),
      select("type", "feed.all_types", TYPES, (v) => t(`type.${v}`), refilter("type")),
      select("state", "feed.all_states", STATES, (v) => t(`opstate.${v}`), refilter("state"))),
    list,
  );

  function setCameras(ids) {
    const before = cameras.size;
    ids.forEach((id) => cameras.add(id));
    if (cameras.size === before) return;
    fill(cameraSelect, h("option", { value: "" }, t("feed.all_cameras")),
      [...cameras].sort().map((c) => h("option", { value: c, selected: c === filters.camera }, c)));
  }

  function render() {
    setCameras(alarms().map((i) => i.camera));
    status.textContent = stream.connected ? `● ${t("feed.live")}` : t("feed.disconnected");
    status.classList.toggle("live", stream.connected);
    const shown = alarms(filters);
    const keep = new Set(shown.map((i) => i.id));
    for (const [id, node] of nodes) if (!keep.has(id)) (node.remove(), nodes.delete(id));
    shown.forEach((item, index) => {
      let node = nodes.get(item.id);
      // Rebuilt only when something it shows changed (not for every update record of an ongoing alarm).
      const version = `${item.state}|${item.lifecycle}|${item.actor}|${item.snapshot}`;
      if (!node || node.dataset.key !== version) {
        const fresh = card(item);
        fresh.dataset.key = version;
        if (node) node.replaceWith(fresh);
        nodes.set(item.id, (node = fresh));
      }
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    if (!shown.length) list.replaceChildren(h("p", { class: "empty" }, t("feed.empty")));
    else list.querySelector(".empty")?.remove();
  }

  connect(filters);
  const off = onAlarm(() => render());
  render();
  return { unmount: off, setCameras };
}
