// The zone's rules form. Rule settings the form does not show (grace_s, cooldowns, ...) are kept from the
// zone as loaded, so saving from the console never resets what was tuned in the YAML file.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const DEFAULTS = {
  weapon: { classes: [], min_confidence: 0.5 },
  loitering: { dwell_s: 60 },
  crowding: { min_count: 10, min_duration_s: 3 },
};

function number(path, label, value, attrs = {}) {
  return h("label", { class: "field", dataset: { path } }, h("span", {}, t(label)),
    h("input", { type: "number", name: path, value: value ?? "", step: "any", ...attrs }),
    h("small", { class: "field-error" }));
}

function ruleSet(rule, zone, body) {
  const on = Boolean(zone[rule]);
  const toggle = h("input", { type: "checkbox", name: `${rule}.enabled`, checked: on });
  const inner = h("div", { class: "rule-body", hidden: !on }, body);
  toggle.addEventListener("change", () => (inner.hidden = !toggle.checked));
  return h("fieldset", { class: `rule rule-${rule}`, dataset: { path: rule } },
    h("legend", {}, h("label", {}, toggle, " ", t(`editor.${rule}`))), inner, h("small", { class: "field-error" }));
}

function weaponBody(rule, classes) {
  const chosen = new Set(rule.classes);
  return [
    h("div", { class: "field", dataset: { path: "weapon.classes" } }, h("span", {}, t("editor.weapon_classes")),
      // The model's classes with the chosen ones first, so they show without scrolling the list.
      h("div", { class: "class-list" }, [...classes].sort((a, b) => chosen.has(b) - chosen.has(a)).map((c) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "weapon.classes", value: c, checked: chosen.has(c) }), c))),
      h("small", { class: "field-error" })),
    number("weapon.min_confidence", "editor.min_confidence", rule.min_confidence, { min: 0.01, max: 1, step: 0.01 }),
  ];
}

function crowdingBody(rule, schedules) {
  const perSchedule = rule.schedules || {};
  return [
    number("crowding.min_count", "editor.min_count", rule.min_count, { min: 1, step: 1 }),
    number("crowding.min_duration_s", "editor.min_duration_s", rule.min_duration_s, { min: 0 }),
    h("div", { class: "field", dataset: { path: "crowding.schedules" } }, h("span", {}, t("editor.schedules")),
      schedules.length ? schedules.map((name) => h("div", { class: "schedule", dataset: { path: `crowding.schedules.${name}` } },
        h("label", { class: "check" }, h("input", { type: "checkbox", name: `schedule.${name}`, checked: name in perSchedule }), name),
        h("input", { type: "number", name: `schedule.${name}.min_count`, min: 1, step: 1,
          value: perSchedule[name]?.min_count ?? "", "aria-label": t("editor.schedule_count") }),
        h("small", { class: "field-error" }))) : h("small", {}, t("editor.no_schedules")),
      h("small", { class: "field-error" })),
  ];
}

/** Build the form for `zone` ({} for a new one); `read(points)` returns the ZoneConfig body to send. */
export function zoneForm(zone, { classes, schedules, isNew }) {
  const rule = (name) => ({ ...DEFAULTS[name], ...(zone[name] || {}) });
  const el = h("div", { class: "zone-form" },
    h("label", { class: "field", dataset: { path: "id" } }, h("span", {}, t("editor.zone_id")),
      h("input", { type: "text", name: "id", value: zone.id ?? "", readOnly: !isNew, required: true, maxlength: 64 }),
      h("small", { class: "field-error" })),
    h("h3", {}, t("editor.rules")),
    ruleSet("weapon", zone, weaponBody(rule("weapon"), classes)),
    ruleSet("loitering", zone, number("loitering.dwell_s", "editor.dwell_s", rule("loitering").dwell_s, { min: 0 })),
    ruleSet("crowding", zone, crowdingBody(rule("crowding"), schedules)),
    h("div", { class: "form-errors", role: "alert" }));
  const field = (name) => el.querySelector(`[name="${name}"]`);
  const num = (name) => (field(name).value === "" ? null : Number(field(name).value));

  function read(points) {
    const body = { ...zone, id: field("id").value.trim(), polygon: points };
    for (const name of ["weapon", "loitering", "crowding"]) body[name] = field(`${name}.enabled`).checked ? rule(name) : null;
    if (body.weapon) {
      body.weapon.classes = [...el.querySelectorAll('[name="weapon.classes"]:checked')].map((c) => c.value);
      body.weapon.min_confidence = num("weapon.min_confidence");
    }
    if (body.loitering) body.loitering.dwell_s = num("loitering.dwell_s");
    if (body.crowding) {
      Object.assign(body.crowding, { min_count: num("crowding.min_count"), min_duration_s: num("crowding.min_duration_s") });
      body.crowding.schedules = Object.fromEntries(schedules.filter((s) => field(`schedule.${s}`).checked)
        .map((s) => [s, { ...(zone.crowding?.schedules?.[s] || {}), min_count: num(`schedule.${s}.min_count`) }]));
    }
    return body;
  }
  return { el, read };
}

/** Put each error next to the field whose path is the longest part of the error's path; the rest on top. */
export function showErrors(root, errors) {
  root.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
  root.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  const general = [];
  const fields = [...root.querySelectorAll("[data-path]")];
  for (const error of errors) {
    const padded = `.${error.path}.`;
    const match = fields.filter((f) => padded.includes(`.${f.dataset.path}.`))
      .sort((a, b) => b.dataset.path.length - a.dataset.path.length)[0];
    const slot = match?.querySelector(":scope > .field-error");
    if (!slot) {
      general.push(error.path ? `${error.path}: ${error.msg}` : error.msg);
      continue;
    }
    match.classList.add("invalid");
    slot.textContent = [slot.textContent, error.msg].filter(Boolean).join("; ");
  }
  const box = root.querySelector(".form-errors");
  if (box) box.replaceChildren(...(general.length ? [h("p", {}, t("editor.error")), h("ul", {}, general.map((g) => h("li", {}, g)))] : []));
}
