// Who is signed in, in memory: the user and the stack's upload byte limit (from the sign-in answer
// or GET /api/me). Nothing of it is stored: a new tab asks GET /api/me again.

export const session = {
  user: null,
  maxUploadBytes: null,
  /** The grid's last URL (its filters), for the image view's Back link. */
  lastList: "/",
  /** Images this page asked to delete, watched until the pipeline marks them deleted. */
  deleting: new Set(),
};

/** Start from a sign-in answer or GET /api/me: `{user, csrf_token, max_upload_bytes}`. */
export function begin(answer) {
  if (session.user && session.user.username !== answer.user.username) end();
  session.user = answer.user;
  session.maxUploadBytes = answer.max_upload_bytes;
}

/** Forget who was signed in. */
export function end() {
  session.user = null;
  session.maxUploadBytes = null;
  session.lastList = "/";
  session.deleting.clear();
}

export const isReviewer = () => session.user?.role === "reviewer";
