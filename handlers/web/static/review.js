// Review (reviewers only): every owner's images awaiting a verdict, newest first, a page at a time.
// Each has a reason field and Pass / Reject (a rejection needs a reason: the API says so, and that
// is shown). A given verdict takes the image off the list; its owner sees it on their dashboard.

import { listImages, reviewImage } from "./api.js";
import { announce, h, showFieldError, uniqueId } from "./dom.js";
import { Pager } from "./pager.js";
import { thumbnail as thumbnailPicture } from "./picture.js";
import { imagePath } from "./router.js";

const PAGE_SIZE = 24;

/** Show the review list in `main`; answers the view's teardown. */
export function showReview(main) {
  const list = h("ul", { class: "review-list", role: "list", "aria-label": "Awaiting review" });
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
        list.append(reviewItem(record, () => settled()));
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
    message,
    list,
    pager.button,
  );
  pager.reset();
  return () => pager.stop();
}

function reviewItem(record, onSettled) {
  const reasonId = uniqueId("reason");
  const reason = h("input", { id: reasonId, type: "text", name: "reason", autocomplete: "off" });
  const pass = h("button", { type: "button" }, "Pass");
  const reject = h("button", { type: "button", class: "danger" }, "Reject");
  const actions = h("div", { class: "actions" }, pass, reject);
  const item = h(
    "li",
    { class: "review-item", "data-image-id": record.image_id },
    record.thumbnail_url
      ? thumbnailPicture(record)
      : null,
    h(
      "div",
      { class: "review-body" },
      h("h3", { class: "review-title" }, h("a", { href: imagePath(record.image_id), "data-route": true }, record.file_name)),
      h("p", { class: "owner" }, `By ${record.owner}`),
      record.caption ? h("p", { class: "caption" }, record.caption) : null,
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
      item.remove();
      announce(`${record.file_name}: ${word}.`);
      (next?.querySelector("input") ?? document.querySelector("main h2"))?.focus();
      onSettled();
    } catch (error) {
      pass.disabled = reject.disabled = false;
      if (error.status === 401) return;
      showFieldError(actions, error.detail, error.field === "reason" ? reason : null);
      if (error.field === "reason") reason.focus();
    }
  }

  pass.addEventListener("click", () => give("Pass"));
  reject.addEventListener("click", () => give("Reject"));
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  return item;
}
