// Times are shown in the site's timezone from /info, whatever the browser's own zone is.
import { lang } from "./i18n.js";
import { session } from "./session.js";

const cache = new Map();

function formatter(kind) {
  const key = `${lang()}|${session.info.timezone}|${kind}`;
  if (!cache.has(key)) {
    // hourCycle h23 rather than hour12: false, with which en-US shows midnight as "24:05".
    const options = { timeZone: session.info.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    if (kind === "full") Object.assign(options, { year: "numeric", month: "2-digit", day: "2-digit" });
    cache.set(key, new Intl.DateTimeFormat(lang(), options));
  }
  return cache.get(key);
}

/** "16:05:09" for today's alarms in the feed. */
export function timeOf(iso) {
  return iso ? formatter("time").format(new Date(iso)) : "";
}

/** Date and time, for the detail page. */
export function dateTimeOf(iso) {
  return iso ? formatter("full").format(new Date(iso)) : "";
}
