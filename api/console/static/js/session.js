// Who is logged in and what the role may do; the API enforces the same rules, this only hides controls.
import { ApiError, get, post } from "./api.js";

const ROLE_RIGHTS = {
  viewer: ["cameras", "events"],
  operator: ["cameras", "events", "act", "edit"],
  admin: ["cameras", "events", "act", "edit"],
  alarm: ["events"],
  local: ["cameras", "events"],
};

export const session = { info: { timezone: "UTC", insecure_local: false, version: "" }, principal: null };

export function can(right) {
  const role = session.principal?.role;
  return Boolean(role && ROLE_RIGHTS[role]?.includes(right));
}

/** Load /info and /auth/whoami; principal stays null when no key is presented (401). */
export async function loadSession() {
  session.info = await get("/info");
  try {
    session.principal = await get("/auth/whoami");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session.principal = null;
  }
  return session;
}

export async function login(key) {
  session.principal = await post("/auth/login", { key });
  return session.principal;
}

export async function logout() {
  await post("/auth/logout");
  return loadSession();
}
