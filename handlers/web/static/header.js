// The page's header: the name of the site, and once signed in, the navigation ("My images", and
// "Review" for reviewers), who is signed in, and "Sign out".

import { h } from "./dom.js";
import { isReviewer, session } from "./session.js";

/** Draw the header for the route `current` (its name); `onSignOut()` when "Sign out" is pressed. */
export function drawHeader(current, onSignOut) {
  const header = document.getElementById("site-header");
  const brand = h("p", { class: "brand" }, h("img", { src: iconUrl(), alt: "", width: "24", height: "24" }), " imagepipe");
  if (!session.user) {
    header.replaceChildren(brand);
    return;
  }
  const link = (href, text, route) =>
    h("a", { href, "data-route": true, "aria-current": current === route ? "page" : null }, text);
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    h("ul", { role: "list" }, h("li", {}, link(session.lastList, "My images", "grid")), isReviewer() ? h("li", {}, link("/review", "Review", "review")) : null),
  );
  const signOut = h("button", { type: "button", class: "sign-out" }, "Sign out");
  signOut.addEventListener("click", () => onSignOut(signOut));
  header.replaceChildren(
    brand,
    nav,
    h("div", { class: "who" }, h("span", { class: "username" }, session.user.username), signOut),
  );
}

let icon = null;

/** The icon's hashed URL, as the page shell names it. */
function iconUrl() {
  icon ??= document.querySelector('link[rel="icon"]')?.getAttribute("href") ?? "";
  return icon;
}
