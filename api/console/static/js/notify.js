// Short-lived messages in the corner (action failures, saves).
import { h } from "./dom.js";

export function toast(text, kind = "info") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const note = h("div", { class: `toast toast-${kind}` }, text);
  box.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 6000 : 3000);
}
