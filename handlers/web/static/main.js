// The dashboard's entry point: learns who is signed in (GET /api/me), then shows the route of the
// location, and again on every navigation. Without a session every route shows the sign-in form,
// which comes back to that route once signed in; a session that ends while the page is open (it
// expired, or was signed out elsewhere) does the same.

import { forgetToken, me, onSessionEnded, signOut } from "./api.js";
import { announce, h } from "./dom.js";
import { showGrid } from "./grid.js";
import { drawHeader } from "./header.js";
import { showImage } from "./image.js";
import { showReview } from "./review.js";
import { current, here, navigate, safeNext, start } from "./router.js";
import { begin, end, isReviewer, session } from "./session.js";
import { showSignIn } from "./signin.js";
import { resetUploads } from "./upload.js";

const TITLES = { grid: "My images", "sign-in": "Sign in", review: "Review", image: "Image" };
const main = document.getElementById("main");
let teardown = null;
let notice = null;

function render({ navigated }) {
  teardown?.();
  teardown = null;
  const route = current();
  if (!session.user && route.name !== "sign-in") {
    navigate(`/sign-in?next=${encodeURIComponent(here())}`, { replace: true });
    return;
  }
  if (session.user && route.name === "sign-in") {
    navigate(safeNext(route.query.get("next")), { replace: true });
    return;
  }
  drawHeader(route.name, signOutNow);
  document.title = `${TITLES[route.name] ?? "Not found"} · imagepipe`;
  switch (route.name) {
    case "sign-in":
      showSignIn(main, { notice, onSignedIn: (answer) => signedIn(answer, route.query.get("next")) });
      notice = null;
      break;
    case "grid":
      teardown = showGrid(main, route.query);
      break;
    case "image":
      teardown = showImage(main, route.id);
      break;
    case "review":
      if (isReviewer()) teardown = showReview(main);
      else forbidden();
      break;
    default:
      notFound();
  }
  if (navigated && route.name !== "sign-in") main.querySelector("h2")?.focus();
}

function signedIn(answer, next) {
  begin(answer);
  navigate(safeNext(next), { replace: true });
}

async function signOutNow(button) {
  button.disabled = true;
  try {
    await signOut();
  } catch (error) {
    if (error.status !== 401) {
      button.disabled = false;
      announce(`Signing out failed: ${error.detail}`);
      return;
    }
  }
  leave("You are signed out.");
  navigate("/sign-in", { replace: false });
}

function leave(message) {
  forgetToken();
  resetUploads();
  end();
  notice = message;
}

function forbidden() {
  main.replaceChildren(h("h2", { tabindex: "-1" }, "Review"), h("p", {}, "Only reviewers review images."));
}

function notFound() {
  main.replaceChildren(
    h("h2", { tabindex: "-1" }, "Not found"),
    h("p", {}, "There is no such page here. ", h("a", { href: "/", "data-route": true }, "Go to my images"), "."),
  );
}

onSessionEnded(() => {
  if (!session.user) return; // told already (several calls may find it at once)
  const where = here();
  leave("Your session has ended: sign in again to go on where you were.");
  navigate(`/sign-in?next=${encodeURIComponent(where)}`);
});

async function boot() {
  try {
    begin(await me());
  } catch (error) {
    if (error.status !== 401) notice = `The server could not say who is signed in: ${error.detail}`;
  }
  start(render);
}

boot();
