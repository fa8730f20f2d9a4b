// Review (reviewers only): every owner's images awaiting a verdict, newest first, a page at a time.
// Each has a reason field and Pass / Reject (a rejection needs a reason: the API says so, and that
// is shown), and says which image it looks like if it is a near-copy. A given verdict takes the image
// off the list and the focus to the next one; its owner sees the verdict on their dashboard. The keys
// (shortcuts.js) do all of it without the mouse.

import { listImages, reviewImage } from "./api.js";
import { announce, h, showFieldError, uniqueId } from "./dom.js";
import { Likenesses } from "./duplicate.js";
import { Pager } from "./pager.js";
import { thumbnail as thumbnailPicture } from "./picture.js";
import { imagePath } from "./router.js";
import { followKeys, keysHint, takeKeys } from "./shortcuts.js";

const PAGE_SIZE = 24;

/** Show the review list in `main`; answers the view's teardown. */
export function showReview(main) {
  const hint = keysHint(uniqueId("review-keys"));
  const list = h("ul", { class: "review-list", role: "list", "aria-label": "Awaiting review", "aria-describedby": hint.id });
  const likenesses = new Likenesses();
  const message = h("p", { class: "list-message", role: "status" }, "Loading…");
  const shown = new Set();
  const pager = new Pager(
    (cursor) => listImages({ verdict: "awaiting", cursor, limit: PAGE_SIZE }),
    (records, first) => {
      if (first) {
        list.replaceChildren();
        shown.clear();
      }
      for (const record of records) {
        if (shown.has(record.image_id)) continue;
        shown.add(record.image_id);
        list.append(reviewItem(record, likenesses, () => settled()));
      }
      message.textContent = list.children.length ? "" : "Nothing awaits review.";
    },
    (error) => {
      message.textContent = `The images awaiting review could not be read: ${error.detail}`;
    },
  );

  function settled() {
    if (!list.children.length) message.textContent = pager.next ? "" : "Nothing awaits review.";
    if (pager.next && list.children.length < 4) pager.more();
  }

  main.replaceChildren(
    h("h2", { tabindex: "-1" }, "Review"),
    h("p", {}, "Images awaiting a verdict, newest first. A rejection needs a reason the photographer can act on."),
    hint,
    message,
    list,
    pager.button,
  );
  pager.reset();
  const stopKeys = followKeys(list);
  return () => {
    pager.stop();
    stopKeys();
  };
}

function reviewItem(record, likenesses, onSettled) {
  const reasonId = uniqueId("reason");
  const titleId = uniqueId("review-title");
  const reason = h("input", { id: reasonId, type: "text", name: "reason", autocomplete: "off", "aria-keyshortcuts": "R" });
  const pass = h("button", { type: "button", "aria-keyshortcuts": "P" }, "Pass");
  const reject = h("button", { type: "button", class: "danger", "aria-keyshortcuts": "Enter" }, "Reject");
  const actions = h("div", { class: "actions" }, pass, reject);
  const item = h(
    "li",
    { class: "review-item", "data-image-id": record.image_id, "aria-labelledby": titleId },
    record.thumbnail_url
      ? thumbnailPicture(record)
      : null,
    h(
      "div",
      { class: "review-body" },
      h("h3", { class: "review-title", id: titleId }, h("a", { href: imagePath(record.image_id), "data-route": true }, record.file_name)),
      h("p", { class: "owner" }, `By ${record.owner}`),
      record.caption ? h("p", { class: "caption" }, record.caption) : null,
      likenesses.line(record),
      h("div", { class: "field" }, h("label", { for: reasonId }, "Reason"), reason),
      actions,
    ),
  );

  async function give(status) {
    pass.disabled = reject.disabled = true;
    showFieldError(actions, "", reason);
    try {
      await reviewImage(record.image_id, status, reason.value.trim());
      const word = status === "Pass" ? "passed" : "rejected";
      const next = item.nextElementSibling ?? item.previousElementSibling;
      const followed = item.contains(document.activeElement) || focusLost(); // not when the reviewer went on
      item.remove();
      announce(`${record.file_name}: ${word}.`);
      if (followed) (next ?? document.querySelector("main h2"))?.focus();
      onSettled();
    } catch (error) {
      pass.disabled = reject.disabled = false;
      if (error.status === 401) return;
      if (focusLost()) item.focus(); // a pressed button, disabled while the call went, lost it
      showFieldError(actions, error.detail, error.field === "reason" ? reason : null);
      if (error.field === "reason") reason.focus();
    }
  }

  pass.addEventListener("click", () => give("Pass"));
  reject.addEventListener("click", () => give("Reject"));
  takeKeys(item, reason, reject);
  return item;
}

/** Whether the focus is nowhere (on the page's body): e.g. it was on a button that got disabled. */
function focusLost() {
  return !document.activeElement || document.activeElement === document.body;
}
