// My images: the upload panel, the filters (status, verdict; kept in the URL's query), and the grid
// of the user's images, newest first, a page at a time as the list scrolls, a near-copy saying which
// image it looks like. Images still pending, and images this page asked to delete, are read again
// until the pipeline is done with them.

import { listImages } from "./api.js";
import { h, uniqueId } from "./dom.js";
import { Likenesses } from "./duplicate.js";
import { Watcher } from "./follow.js";
import { Pager } from "./pager.js";
import { thumbnail as thumbnailPicture } from "./picture.js";
import { imagePath, setQuery } from "./router.js";
import { session } from "./session.js";
import { guardPageFromDrops, onUploadRecord, uploadPanel } from "./upload.js";

export const STATUSES = ["pending", "processed", "rejected", "failed", "deleted"];
export const VERDICTS = ["awaiting", "passed", "rejected"];
const PAGE_SIZE = 24;

/** Show the grid in `main` with the filters of `query`; answers the view's teardown. */
export function showGrid(main, query) {
  const filters = {
    status: STATUSES.includes(query.get("status")) ? query.get("status") : "",
    verdict: VERDICTS.includes(query.get("verdict")) ? query.get("verdict") : "",
  };
  const items = new Map();
  const grid = h("ul", { class: "grid", role: "list", "aria-label": "My images" });
  const message = h("p", { class: "list-message", role: "status" });
  const watcher = new Watcher((record) => update(record));
  const likenesses = new Likenesses();

  const pager = new Pager(
    (cursor) => listImages({ ...filters, cursor, limit: PAGE_SIZE }),
    (records, first) => {
      if (first) {
        grid.replaceChildren();
        items.clear();
      }
      for (const record of records) {
        if (items.has(record.image_id)) continue;
        const item = card(record, likenesses);
        items.set(record.image_id, item);
        grid.append(item);
        watchIfUnfinished(record);
      }
      message.textContent = items.size ? "" : emptyText(filters);
    },
    (error) => {
      message.textContent = `The images could not be read: ${error.detail}`;
    },
  );

  function watchIfUnfinished(record) {
    if (record.status === "pending") watcher.watch(record.image_id, (now) => now.status !== "pending");
    else if (session.deleting.has(record.image_id) && record.status !== "deleted") {
      watcher.watch(record.image_id, (now) => now.status === "deleted");
    }
  }

  function update(record) {
    if (record.status === "deleted") session.deleting.delete(record.image_id);
    const shown = items.get(record.image_id);
    if (shown) {
      const replacement = card(record, likenesses);
      shown.replaceWith(replacement);
      items.set(record.image_id, replacement);
    } else if (matches(record, filters)) {
      const item = card(record, likenesses); // a new upload: the newest of all
      items.set(record.image_id, item);
      grid.prepend(item);
      message.textContent = "";
    }
    if (record.status === "pending") watchIfUnfinished(record);
  }

  const filterBar = h(
    "div",
    { class: "filters" },
    select("Status", STATUSES, filters.status, (value) => refilter("status", value)),
    select("Verdict", VERDICTS, filters.verdict, (value) => refilter("verdict", value)),
  );

  function refilter(name, value) {
    filters[name] = value;
    const search = new URLSearchParams();
    for (const [key, chosen] of Object.entries(filters)) if (chosen) search.set(key, chosen);
    setQuery(search);
    session.lastList = `/${search.toString() ? `?${search}` : ""}`;
    message.textContent = "Loading…";
    pager.reset();
  }

  session.lastList = location.pathname + location.search;
  main.replaceChildren(
    h("h2", { tabindex: "-1" }, "My images"),
    uploadPanel(),
    h("section", { class: "images", "aria-label": "Images" }, filterBar, message, grid, pager.button),
  );
  message.textContent = "Loading…";
  pager.reset();
  const stopListening = onUploadRecord(update);
  const unguard = guardPageFromDrops();
  return () => {
    watcher.stop();
    pager.stop();
    stopListening();
    unguard();
  };
}

function select(label, values, chosen, onChange) {
  const id = uniqueId(label.toLowerCase());
  const control = h(
    "select",
    { id, onchange: () => onChange(control.value) },
    h("option", { value: "" }, "All"),
    values.map((value) => h("option", { value, selected: value === chosen }, value)),
  );
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

function matches(record, filters) {
  return (
    (!filters.status || record.status === filters.status) &&
    (!filters.verdict || record.review_status === filters.verdict)
  );
}

function emptyText(filters) {
  return filters.status || filters.verdict ? "No images match these filters." : "No images yet: upload some above.";
}

/** One image of the grid: thumbnail (once processed), file name (the link to it), caption, the image
 * it looks like (read through `likenesses`), status, verdict, and the reason of a rejection or failure. */
export function card(record, likenesses) {
  const thumbnail =
    record.status === "processed" && record.thumbnail_url
      ? thumbnailPicture(record)
      : h("span", { class: "placeholder", "aria-hidden": "true" }, record.status === "pending" ? "Processing…" : "No image");
  return h(
    "li",
    { class: `card status-${record.status}`, "data-image-id": record.image_id },
    h("div", { class: "thumb" }, thumbnail),
    h("h3", { class: "card-title" }, h("a", { href: imagePath(record.image_id), "data-route": true }, record.file_name)),
    record.caption ? h("p", { class: "caption" }, record.caption) : null,
    likenesses.line(record),
    h("p", { class: "status" }, h("span", { class: "label" }, "Status: "), record.status),
    record.review_status
      ? h(
          "p",
          { class: "verdict" },
          h("span", { class: "label" }, "Verdict: "),
          record.review_status,
          record.review_reason ? ` (${record.review_reason})` : "",
        )
      : null,
    (record.status === "rejected" || record.status === "failed") && record.reason
      ? h("p", { class: "reason" }, h("span", { class: "label" }, "Reason: "), record.reason)
      : null,
  );
}
