// fetch() wrapper: same-origin requests carry the login cookie; errors become ApiError with the JSON body.

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.detail === "string" ? body.detail : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) {
    // A key revoked (or a cookie cleared) while the console is open: let the page go back to its login.
    if (response.status === 401 && !path.startsWith("/auth/")) window.dispatchEvent(new Event("gatewatch:unauthorized"));
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);

/** "?a=1&b=x" from the non-empty entries of `params`. */
export function query(params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}

/** Field errors of a 422 as [{path: "crowding.min_count", msg}] (FastAPI's list or a plain detail string). */
export function fieldErrors(error) {
  const body = error?.body || {};
  const list = Array.isArray(body.detail) ? body.detail : Array.isArray(body.errors) ? body.errors : null;
  if (!list) return [{ path: "", msg: error?.message || String(error) }];
  return list.map((item) => {
    const loc = item.loc ?? item.path ?? item.field ?? "";
    const parts = Array.isArray(loc) ? loc : String(loc).split(".");
    const path = parts.filter((p) => p !== "body" && p !== "").join(".");
    return { path, msg: item.msg ?? item.message ?? JSON.stringify(item) };
  });
}
