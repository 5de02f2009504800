// Console entry: session, top bar, hash routes (#/ live, #/zones/{camera}, #/events/{id}, #/login).
import { connect, disconnect, onAlarm } from "./alarms.js";
import { h, fill } from "./dom.js";
import { mountDetail } from "./detail.js";
import { mountEditor } from "./editor.js";
import { mountFeed } from "./feed.js";
import { mountGrid } from "./grid.js";
import { LANGUAGES, lang, onLangChange, setLang, t } from "./i18n.js";
import { can, loadSession, login, logout, session } from "./session.js";
import { beep, muted, setMuted, unlockAudio } from "./sound.js";

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const tools = document.getElementById("tools");
let unmount = () => {};

function muteButton() {
  const button = h("button", { type: "button", class: "btn icon", name: "mute", "aria-pressed": String(muted()) });
  const label = () => {
    button.textContent = muted() ? t("nav.unmute") : t("nav.mute");
    button.classList.toggle("muted", muted());
    button.setAttribute("aria-pressed", String(muted()));
  };
  button.addEventListener("click", () => (setMuted(!muted()), label()));
  label();
  return button;
}

function languageSelect() {
  return h("select", { name: "language", "aria-label": t("nav.language"), onchange: (e) => setLang(e.target.value) },
    Object.entries(LANGUAGES).map(([code, { label }]) => h("option", { value: code, selected: code === lang() }, label)));
}

function renderTop() {
  document.title = t("app.title");
  const who = session.principal;
  fill(nav, who ? [
    can("cameras") || can("events") ? h("a", { href: "#/", dataset: { nav: "live" } }, t("nav.live")) : null,
    can("cameras") ? h("a", { href: "#/zones", dataset: { nav: "zones" } }, t("nav.zones")) : null,
  ] : []);
  const local = who?.role === "local";
  fill(tools,
    who && can("events") ? muteButton() : null,
    languageSelect(),
    who ? h("span", { class: "who", dataset: { role: who.role } }, local ? t("nav.readonly") : `${who.name} · ${t(`role.${who.role}`)}`) : null,
    who && !local ? h("button", { type: "button", class: "btn", name: "logout", onclick: doLogout }, t("nav.logout")) : null,
    local ? h("a", { class: "btn", href: "#/login" }, t("nav.login")) : null);
}

/** Show `hash`; route() runs once whether or not the hash changes. */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function doLogout() {
  await logout().catch(() => {});
  disconnect();
  go("#/");
}

function loginView() {
  const key = h("input", { type: "password", name: "key", autocomplete: "off", required: true, "aria-label": t("login.key") });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login card" },
    h("h1", {}, t("login.title")),
    h("label", { class: "field" }, h("span", {}, t("login.key")), key),
    h("button", { type: "submit", class: "btn btn-primary" }, t("login.submit")),
    error, h("small", { class: "hint" }, t("login.hint")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await login(key.value.trim());
      disconnect();
      go("#/");
    } catch (err) {
      error.textContent = t("login.failed", { detail: err.message });
    }
  });
  fill(view, form);
  key.focus();
}

function liveView() {
  const gridPanel = h("section", { class: "grid-panel" });
  const feedPanel = h("aside", { class: "feed-panel" });
  const showGrid = can("cameras");
  fill(view, h("div", { class: `live-layout${showGrid ? "" : " feed-only"}` }, showGrid ? gridPanel : null, feedPanel));
  const feed = mountFeed(feedPanel);
  const stopGrid = showGrid ? mountGrid(gridPanel, (cams) => feed.setCameras(cams.map((c) => c.id))) : () => {};
  return () => (feed.unmount(), stopGrid());
}

function route() {
  unmount();
  unmount = () => {};
  renderTop();
  const path = location.hash.replace(/^#/, "") || "/";
  const [, section, arg] = path.split("/").map(decodeURIComponent);
  document.body.dataset.route = section || "live";
  nav.querySelectorAll("a").forEach((a) => a.classList.toggle("active", a.dataset.nav === (section || "live")));
  if (!session.principal || section === "login") return loginView();
  if (can("events")) connect();
  if (section === "events" && arg) unmount = mountDetail(view, arg);
  else if (section === "zones" && can("cameras")) unmount = mountEditor(view, arg);
  else unmount = liveView();
}

async function boot() {
  document.addEventListener("pointerdown", unlockAudio);
  onAlarm((item, message) => message?.type === "event.new" && item?.type === "weapon" && beep());
  onLangChange(route);
  window.addEventListener("hashchange", route);
  window.addEventListener("gatewatch:unauthorized", async () => {
    await loadSession().catch(() => {});
    if (!session.principal) (disconnect(), route());
  });
  try {
    await loadSession();
  } catch (error) {
    fill(view, h("p", { class: "error" }, t("error.generic", { detail: error.message })));
    return;
  }
  route();
}

boot();
