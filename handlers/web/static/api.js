// The JSON API (/api, described in /api/openapi.json): one function per call, errors as ApiError.
//
// The CSRF token comes from signing in or GET /api/me and lives in this module's memory only: never
// in the page, a cookie or storage. Every state-changing call sends it in X-CSRF-Token; a 403 "csrf"
// (the session was renewed in another tab) fetches it again and retries once. A 401 "not-signed-in"
// on any call but those that sign in tells the handler set with onSessionEnded (the page then goes to
// the sign-in form, and back to where the user was).

const CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let csrfToken = null;
let sessionEnded = () => {};

/** An answer that is not 2xx: `status`, the API's `error` code and `detail` sentence. */
export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail);
    this.status = status;
    this.error = error;
    this.detail = detail;
  }

  /** The field a 400's detail names ("caption: too long" → "caption"), or null. */
  get field() {
    const match = /^([a-z_]+): /.exec(this.detail);
    return this.status === 400 && match ? match[1] : null;
  }
}

/** Call `handler(error)` whenever a call finds the session gone (expired, or signed out elsewhere). */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

/** Forget the token (signing out). */
export function forgetToken() {
  csrfToken = null;
}

async function call(method, path, body, { signingIn = false, retried = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (CHANGING.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached: check the connection and try again.");
  }
  let answer = null;
  if (response.status !== 204) {
    try {
      answer = await response.json();
    } catch {
      answer = null;
    }
  }
  if (response.ok) return answer;
  const error = new ApiError(
    response.status,
    answer?.error ?? "error",
    answer?.detail ?? `The server answered ${response.status} ${response.statusText}.`,
  );
  if (response.status === 403 && error.error === "csrf" && !retried && !signingIn) {
    const session = await call("GET", "/api/me");
    csrfToken = session.csrf_token;
    return call(method, path, body, { retried: true });
  }
  if (response.status === 401 && error.error === "not-signed-in" && !signingIn) {
    csrfToken = null;
    sessionEnded(error);
  }
  throw error;
}

function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const image = (id) => `/api/images/${encodeURIComponent(id)}`;

/** Who is signed in: `{user, csrf_token, max_upload_bytes}`; ApiError 401 when no one is. */
export async function me() {
  const session = await call("GET", "/api/me", undefined, { signingIn: true });
  csrfToken = session.csrf_token;
  return session;
}

/** Sign in: `{user, csrf_token, max_upload_bytes}`, the session cookie set. */
export async function signIn(username, password) {
  const session = await call("POST", "/api/session", { username, password }, { signingIn: true });
  csrfToken = session.csrf_token;
  return session;
}

/** Sign out (the cookie is removed). */
export async function signOut() {
  try {
    await call("DELETE", "/api/session", undefined, { signingIn: true });
  } finally {
    csrfToken = null;
  }
}

/** A page of images, newest first: `{items, next}`; `filters` any of status, verdict, cursor, limit. */
export function listImages(filters = {}) {
  return call("GET", `/api/images${query(filters)}`);
}

/** One image's record. */
export function getImage(id) {
  return call("GET", image(id));
}

/** Set any of `{caption, date, photographer}`; the record as it now is. */
export function editImage(id, fields) {
  return call("PATCH", image(id), fields);
}

/** A reviewer's verdict: `status` "Pass" or "Reject", with a reason (a rejection needs one). */
export function reviewImage(id, status, reason) {
  return call("POST", `${image(id)}/review`, reason ? { status, reason } : { status });
}

/** Delete an image (its upload; the pipeline removes the rest); the record. */
export function deleteImage(id) {
  return call("DELETE", image(id));
}

/** A presigned POST for one upload: `{url, fields, key, image_id, expires_in, max_bytes}`. */
export function presignUpload(fileName, contentType) {
  return call("POST", "/api/uploads", { file_name: fileName, content_type: contentType });
}
