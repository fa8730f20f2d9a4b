// The review queue's keys, so that a reviewer works through it without the mouse. The current image
// is the list item that has the focus (or holds it): J or ↓ and K or ↑ move the focus to the next or
// previous one; P presses its Pass button; R goes to its reason field, where Enter presses Reject
// (with the reason typed) and Escape goes back to the item, the text kept. What is typed in a field
// is text (only Enter and Escape mean more there), and a key with Ctrl, Alt or Meta is the browser's.
//
// An item's controls are found by their aria-keyshortcuts ("P" on Pass, "R" on the reason field),
// so the attribute that tells assistive technology about a key is also what the key acts on.

import { h } from "./dom.js";

const NEXT = new Set(["j", "ArrowDown"]);
const PREVIOUS = new Set(["k", "ArrowUp"]);
const ITEM_KEYS = new Set(["p", "r"]);

/** The visible list of the keys (with `id`, for the list to be described by it). */
export function keysHint(id) {
  const key = (name) => h("kbd", {}, name);
  return h(
    "p",
    { class: "hint keys", id },
    "Keys: ",
    [key("J"), " or ", key("↓"), " next image, ", key("K"), " or ", key("↑"), " previous, "],
    [key("P"), " pass, ", key("R"), " write a reason, then ", key("Enter"), " rejects, "],
    [key("Esc"), " back to the image."],
  );
}

/** Mark `item` (a list item) as one the keys move to, with its reason field, whose Enter presses
 * `reject` and whose Escape goes back to the item. */
export function takeKeys(item, reason, reject) {
  item.tabIndex = -1;
  reason.addEventListener("keydown", (event) => {
    if (event.isComposing || event.ctrlKey || event.altKey || event.metaKey || event.shiftKey) return;
    if (event.key === "Enter") {
      event.preventDefault();
      reject.click();
    } else if (event.key === "Escape") {
      event.preventDefault();
      item.focus();
    }
  });
}

/** Follow the keys for the items of `list` while it is shown; answers the function that stops. */
export function followKeys(list) {
  function onKey(event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey) return;
    if (typing(event.target)) return;
    const current = event.target.closest?.("li");
    const item = current && current.parentElement === list ? current : null;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    // The arrows move between items only from an item itself: elsewhere they scroll, as always.
    const scrolls = key.startsWith("Arrow") && event.target !== item;
    if ((NEXT.has(key) || PREVIOUS.has(key)) && !scrolls) {
      event.preventDefault();
      move(list, item, NEXT.has(key) ? 1 : -1);
    } else if (ITEM_KEYS.has(key) && item && !event.repeat) {
      const control = item.querySelector(`[aria-keyshortcuts~="${key.toUpperCase()}"]`);
      if (!control) return;
      event.preventDefault(); // R's letter is not typed into the field it opens
      if (control instanceof HTMLButtonElement) control.click();
      else control.focus();
    }
  }
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}

function typing(target) {
  return target instanceof Element && target.closest("input, textarea, select, [contenteditable]") !== null;
}

/** Focus the item `step` after `item` (the first one when no item is current), if there is one. */
function move(list, item, step) {
  const items = [...list.children];
  const target = item ? items[items.indexOf(item) + step] : items[0];
  target?.focus();
}
