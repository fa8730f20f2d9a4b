// The page's routes, on real paths (the server answers each with the page shell): the grid at "/"
// (filters in the query: ?status=&verdict=), "/sign-in?next=<path>", "/review", "/view/<image id>".
// Links marked data-route are followed here without reloading the page.

const ROUTES = [
  ["grid", /^\/$/],
  ["sign-in", /^\/sign-in$/],
  ["review", /^\/review$/],
  ["image", /^\/view\/([^/]+)$/],
];

let render = () => {};

/** The route of the current location: `{name, id, query}`; name null when no route matches. */
export function current() {
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(location.pathname);
    if (match) {
      return { name, id: match[1] ? decodeURIComponent(match[1]) : null, query: new URLSearchParams(location.search) };
    }
  }
  return { name: null, id: null, query: new URLSearchParams(location.search) };
}

/** Where the user is: path and query, to come back to after signing in. */
export function here() {
  return location.pathname + location.search;
}

/** A path of this site to go back to after signing in, or "/" for anything else. */
export function safeNext(next) {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next.startsWith("/sign-in") ? "/" : next;
}

/** Go to `path` and show it (`replace`: instead of the current history entry). */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render({ navigated: true });
}

/** Change the URL's query without showing the route again (the view updates itself). */
export function setQuery(query) {
  const text = query.toString();
  history.replaceState(null, "", location.pathname + (text ? `?${text}` : ""));
}

/** Show routes with `renderer({navigated})`, now and on every navigation. */
export function start(renderer) {
  render = renderer;
  addEventListener("popstate", () => render({ navigated: true }));
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[data-route]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute("href"));
  });
  render({ navigated: false });
}

/** The path of one image's view. */
export const imagePath = (id) => `/view/${encodeURIComponent(id)}`;
