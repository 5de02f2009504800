// Schedule windows (GET/PUT/DELETE /schedules): weekly windows that crowding rules can be stricter in.
import { api, fieldErrors, get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./notify.js";
import { session } from "./session.js";
import { showErrors } from "./zone_form.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function windowRow(win, index, editable, onRemove) {
  const days = new Set(win.days);
  return h("div", { class: "window", dataset: { path: `windows.${index}` } },
    h("div", { class: "days", dataset: { path: `windows.${index}.days` } }, DAYS.map((d) =>
      h("label", { class: "check day" }, h("input", { type: "checkbox", name: "day", value: d, checked: days.has(d), disabled: !editable }), t(`day.${d}`)))),
    h("label", { class: "field", dataset: { path: `windows.${index}.start` } },
      h("input", { type: "time", name: "start", value: (win.start || "").slice(0, 5), disabled: !editable, "aria-label": t("schedule.start") }),
      h("small", { class: "field-error" })),
    h("span", {}, "–"),
    h("label", { class: "field", dataset: { path: `windows.${index}.end` } },
      h("input", { type: "time", name: "end", value: (win.end || "").slice(0, 5), disabled: !editable, "aria-label": t("schedule.end") }),
      h("small", { class: "field-error" })),
    editable ? h("button", { type: "button", class: "btn", name: "remove-window", onclick: onRemove }, "×") : null,
    h("small", { class: "field-error" }));
}

/** The schedules panel; `onSaved(names)` runs after a save or delete so the zone form can list them. */
export function schedulePanel({ editable, onSaved }) {
  const el = h("details", { class: "schedules" }, h("summary", {}, t("schedule.title")));
  const body = h("div", { class: "schedule-body" });
  el.append(body);
  let all = {};

  function read() {
    const rows = [...body.querySelectorAll(".window")].map((row) => ({
      days: [...row.querySelectorAll('[name="day"]:checked')].map((c) => c.value),
      start: row.querySelector('[name="start"]').value,
      end: row.querySelector('[name="end"]').value,
    }));
    return { timezone: body.querySelector('[name="timezone"]').value.trim(), windows: rows };
  }

  function render(name) {
    const current = all[name] ?? { timezone: session.info.timezone, windows: [{ days: DAYS.slice(0, 5), start: "16:00", end: "17:30" }] };
    const picker = h("select", { name: "schedule", onchange: (e) => render(e.target.value) },
      Object.keys(all).map((n) => h("option", { value: n, selected: n === name }, n)),
      editable ? h("option", { value: "", selected: !(name in all) }, t("schedule.new")) : null);
    const nameInput = h("input", { type: "text", name: "schedule-name", value: name in all ? name : "", readOnly: name in all, placeholder: "pickup", "aria-label": t("schedule.name") });
    const windows = h("div", { class: "windows" });
    const draw = (list) => fill(windows, list.map((w, i) => windowRow(w, i, editable, () => draw(read().windows.filter((_, j) => j !== i)))));
    draw(current.windows);
    fill(body,
      h("div", { class: "schedule-head" }, picker, nameInput),
      h("label", { class: "field", dataset: { path: "timezone" } }, h("span", {}, t("schedule.timezone")),
        h("input", { type: "text", name: "timezone", value: current.timezone, disabled: !editable }), h("small", { class: "field-error" })),
      windows,
      editable ? h("div", { class: "form-buttons" },
        h("button", { type: "button", class: "btn", name: "add-window", onclick: () => draw([...read().windows, { days: [], start: "", end: "" }]) }, t("schedule.add_window")),
        h("button", { type: "button", class: "btn btn-primary", name: "save-schedule", onclick: () => save(nameInput.value.trim()) }, t("schedule.save")),
        name in all ? h("button", { type: "button", class: "btn btn-danger", name: "delete-schedule", onclick: () => remove(name) }, t("schedule.delete")) : null) : null,
      h("div", { class: "form-errors", role: "alert" }));
  }

  async function save(name) {
    if (!NAME.test(name)) return showErrors(body, [{ path: "", msg: t("schedule.bad_name") }]);
    try {
      await api("PUT", `/schedules/${encodeURIComponent(name)}`, read());
      toast(t("schedule.saved"));
      await load(name);
    } catch (error) {
      showErrors(body, fieldErrors(error));
    }
  }

  async function remove(name) {
    try {
      await api("DELETE", `/schedules/${encodeURIComponent(name)}`);
      await load(null);
    } catch (error) {
      showErrors(body, fieldErrors(error)); // e.g. a crowding rule still refers to it
    }
  }

  async function load(name) {
    all = await get("/schedules");
    render(name ?? Object.keys(all)[0] ?? "");
    onSaved(Object.keys(all));
  }
  load(null).catch((error) => toast(t("error.generic", { detail: error.message }), "error"));
  return el;
}
