// Building the page from elements, never from HTML strings: text is always text, so nothing an
// image's caption or file name holds can become markup or script.

/**
 * An element: `h("a", { href: "/", class: "x", onclick: handler }, "text", child, ...)`.
 * Attributes whose value is null, undefined or false are left out; true sets an empty attribute;
 * `on<event>` functions become listeners. Children are nodes, text (null and false skipped) or arrays.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Append children (nodes, text, arrays of them; null and false skipped) to `parent`. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

let counter = 0;

/** An id unique in the page, for labels and descriptions (`prefix-7`). */
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Say `text` to screen readers through the page's polite status region. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A new text node in the next frame is announced even when it repeats the last one.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/**
 * Show `message` as an alert (role="alert") right after `anchor`, replacing the one shown there
 * before; an empty message removes it. The field `describes` (if any) is marked invalid and
 * described by the alert.
 */
export function showFieldError(anchor, message, describes = null) {
  const previous = anchor.nextElementSibling;
  if (previous && previous.classList.contains("field-error")) previous.remove();
  let described = "";
  if (describes) {
    // What described the field before any error (a hint) keeps describing it.
    describes.dataset.describedBy ??= describes.getAttribute("aria-describedby") ?? "";
    described = describes.dataset.describedBy;
    describes.removeAttribute("aria-invalid");
    if (described) describes.setAttribute("aria-describedby", described);
    else describes.removeAttribute("aria-describedby");
  }
  if (!message) return null;
  const alert = h("p", { class: "field-error", role: "alert", id: uniqueId("error") }, message);
  anchor.after(alert);
  if (describes) {
    describes.setAttribute("aria-invalid", "true");
    describes.setAttribute("aria-describedby", [described, alert.id].filter(Boolean).join(" "));
  }
  return alert;
}
