// Language tables and lookup; the choice is kept in localStorage so it survives reloads.
import en from "./i18n/en.js";
import zh from "./i18n/zh-CN.js";

export const LANGUAGES = { en: { label: "English", table: en }, "zh-CN": { label: "简体中文", table: zh } };
const STORAGE_KEY = "gatewatch.lang";
const listeners = new Set();

function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved in LANGUAGES) return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let current = initialLang();

export function lang() {
  return current;
}

/** The string for `key` in the current language with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = LANGUAGES[current].table[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function setLang(code) {
  if (!(code in LANGUAGES) || code === current) return;
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  listeners.forEach((fn) => fn(code));
}

/** Call `fn` after every language change (views re-render their strings). */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

document.documentElement.lang = current;
