// One image: the optimized image, its metadata and the image it looks like (a near-copy), the
// caption, date and photographer edited in place (each saved on its own; the API's reason shown next
// to the field), the link to share, and deletion after a confirmation. A pending image is read again
// until the pipeline is done with it.

import { deleteImage, editImage, getImage } from "./api.js";
import { announce, h, showFieldError, uniqueId } from "./dom.js";
import { Likenesses } from "./duplicate.js";
import { Watcher } from "./follow.js";
import { altText, bytes, dimensions, moment } from "./format.js";
import { picture as responsive } from "./picture.js";
import { navigate } from "./router.js";
import { session } from "./session.js";

const EDITABLE = [
  { field: "caption", label: "Caption", multiline: true, hint: "" },
  { field: "date", label: "Date", hint: "When it was taken: 2026-05-01, or a date and time (ISO 8601)." },
  { field: "photographer", label: "Photographer", hint: "" },
];
const TAKES_EDITS = new Set(["pending", "processed", "failed"]);

/** Show image `id` in `main`; answers the view's teardown. */
export function showImage(main, id) {
  const back = h("a", { href: session.lastList, "data-route": true, class: "back" }, "Back");
  const heading = h("h2", { tabindex: "-1" }, "Image");
  const status = h("p", { role: "status" }, "Loading…");
  // Each part is redrawn on its own, so saving one field leaves what is typed in the others alone.
  const slots = Object.fromEntries(
    ["picture", "metadata", "editor", "share", "deletion"].map((name) => [name, h("div", { class: `slot-${name}` })]),
  );
  const body = h("div", { class: "image-view" }, status, Object.values(slots));
  main.replaceChildren(h("p", {}, back), heading, body);
  const watcher = new Watcher((record) => show(record));
  const likenesses = new Likenesses();
  const drawn = {};

  function draw(name, key, make) {
    if (drawn[name] === key) return;
    drawn[name] = key;
    slots[name].replaceChildren(...[key === null ? null : make()].filter(Boolean));
  }

  function show(record) {
    status.remove();
    heading.textContent = record.file_name;
    document.title = `${record.file_name} · imagepipe`;
    const mine = record.owner === session.user?.username;
    const editable = mine && TAKES_EDITS.has(record.status);
    const deletable = mine && record.status !== "deleted" && record.status !== "rejected";
    draw("picture", `${record.status}|${record.optimized_url}|${altText(record)}`, () => picture(record));
    draw("metadata", JSON.stringify(record), () => metadata(record, mine, likenesses));
    draw("editor", editable ? "editable" : null, () => editor(record, show));
    draw("share", record.optimized_url ?? "", () => share(record));
    draw("deletion", deletable ? "deletable" : null, () => deletion(record));
  }

  getImage(id).then(
    (record) => {
      show(record);
      if (record.status === "pending") watcher.watch(id, (now) => now.status !== "pending");
      if (session.deleting.has(id) && record.status !== "deleted") {
        watcher.watch(id, (now) => now.status === "deleted");
      }
    },
    (error) => {
      if (error.status === 401) return;
      heading.textContent = error.status === 404 ? "No such image" : "The image could not be read";
      status.replaceWith(h("p", { role: "alert" }, error.detail));
    },
  );
  return () => watcher.stop();
}

function picture(record) {
  if (record.status === "processed" && record.optimized_url) {
    return h(
      "figure",
      { class: "picture" },
      responsive(
        record,
        "optimized",
        {
          src: record.optimized_url,
          alt: altText(record),
          width: record.optimized_width,
          height: record.optimized_height,
        },
        "(min-width: 60rem) 60vw, 100vw",
      ),
    );
  }
  const why = {
    pending: "The pipeline is processing this image…",
    rejected: "This upload was rejected: there is no image to show.",
    failed: "Processing this image failed: there is no image to show.",
    deleted: "This image is deleted.",
  };
  return h("p", { class: "picture placeholder" }, why[record.status] ?? "There is no image to show yet.");
}

function metadata(record, mine, likenesses) {
  const rows = [
    ["Status", record.status],
    ["Reason", record.status === "rejected" || record.status === "failed" ? record.reason : null],
    ["Verdict", record.review_status ? record.review_status + (record.review_reason ? ` (${record.review_reason})` : "") : null],
    ["Size", record.source_size !== null ? bytes(record.source_size) : null],
    ["Dimensions", dimensions(record.source_width, record.source_height)],
    ["Uploaded", moment(record.uploaded_at)],
    ["Date", record.date],
    ["Photographer", record.photographer],
    ["Caption", record.caption],
    ["Copyright", record.copyright],
    ["Keywords", record.keywords && record.keywords.length ? record.keywords.join(", ") : null],
    ["Owner", mine ? null : record.owner],
  ];
  return h(
    "section",
    { class: "metadata", "aria-labelledby": "metadata-heading" },
    h("h3", { id: "metadata-heading" }, "Details"),
    likenesses.line(record),
    h(
      "dl",
      {},
      rows.filter(([, value]) => value).map(([name, value]) => h("div", { class: "row" }, h("dt", {}, name), h("dd", {}, value))),
    ),
  );
}

function editor(record, show) {
  return h(
    "section",
    { class: "editor", "aria-labelledby": "editor-heading" },
    h("h3", { id: "editor-heading" }, "Edit"),
    EDITABLE.map((spec) => fieldForm(record, spec, show)),
  );
}

function fieldForm(record, { field, label, multiline, hint }, show) {
  const id = uniqueId(field);
  const control = h(multiline ? "textarea" : "input", {
    id,
    name: field,
    type: multiline ? null : "text",
    rows: multiline ? "3" : null,
    autocomplete: "off",
  });
  control.value = record[field] ?? "";
  const hintElement = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute("aria-describedby", hintElement.id);
  // Named "Save caption" by its text (the field's name hidden), not by aria-label: a label is what
  // names the field, and finding the field by its label must not find its button too.
  const save = h("button", { type: "submit" }, "Save", h("span", { class: "visually-hidden" }, ` ${field}`));
  const saved = h("span", { class: "saved", "aria-hidden": "true" }); // said by the announcer
  const row = h("div", { class: "field-row" }, control, save, saved);
  control.addEventListener("input", () => {
    saved.textContent = "";
  });
  const form = h("form", { class: "field", novalidate: true }, h("label", { for: id }, label), hintElement, row);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    saved.textContent = "";
    showFieldError(row, "", control);
    try {
      const updated = await editImage(record.image_id, { [field]: control.value });
      control.value = updated[field] ?? ""; // as the API keeps it (a date normalised)
      save.disabled = false;
      show(updated);
      saved.textContent = "Saved";
      announce(`${label} saved.`);
    } catch (error) {
      if (error.status === 401) return;
      showFieldError(row, error.detail, control);
      save.disabled = false;
    }
  });
  control.dataset.field = field;
  return form;
}

function share(record) {
  const id = uniqueId("share");
  if (!record.optimized_url) {
    return h(
      "section",
      { class: "share" },
      h("h3", {}, "Share"),
      h("p", {}, "The link to share is there once the image is processed."),
    );
  }
  const field = h("input", { id, type: "url", readonly: true, value: record.optimized_url });
  field.addEventListener("focus", () => field.select());
  const copy = h("button", { type: "button" }, "Copy link");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(record.optimized_url);
      announce("The link is copied.");
    } catch {
      field.focus();
      announce("Copying is not allowed here: the link is selected, copy it with the keyboard.");
    }
  });
  return h(
    "section",
    { class: "share" },
    h("h3", {}, "Share"),
    h("label", { for: id }, "Share link"),
    h("div", { class: "field-row" }, field, copy),
    h("p", {}, h("a", { href: record.optimized_url, target: "_blank", rel: "noopener" }, "Open the image")),
  );
}

function deletion(record) {
  const titleId = uniqueId("delete-title");
  const confirm = h("button", { type: "button", class: "danger" }, "Delete");
  const cancel = h("button", { type: "button" }, "Cancel");
  const dialog = h(
    "dialog",
    { "aria-labelledby": titleId, class: "confirm" },
    h("h3", { id: titleId }, `Delete ${record.file_name}?`),
    h("p", {}, "The image and its variants are removed. This cannot be undone."),
    h("div", { class: "actions" }, confirm, cancel),
  );
  const open = h("button", { type: "button", class: "danger", "aria-haspopup": "dialog" }, "Delete");
  const section = h("section", { class: "deletion" }, open, dialog);
  open.addEventListener("click", () => {
    showFieldError(open, "");
    dialog.showModal();
    cancel.focus();
  });
  cancel.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await deleteImage(record.image_id);
      session.deleting.add(record.image_id);
      dialog.close();
      announce(`${record.file_name} is being deleted.`);
      navigate(session.lastList);
    } catch (error) {
      dialog.close();
      confirm.disabled = false;
      if (error.status !== 401) showFieldError(open, error.detail);
    }
  });
  return section;
}
