// Uploads: files chosen with the file picker or dropped on the drop zone, several at once. Each file
// is checked here first (JPEG or PNG, not empty, within the stack's byte limit) and refused with its
// reason if it is not; then sent straight to the images bucket: POST /api/uploads answers a
// presigned form, and the file is POSTed to it with XMLHttpRequest (the form's fields first, the
// file last), its progress shown. Once sent, the image is followed by the answer's image_id until
// the pipeline's verdict: processed, or rejected / failed with the reason.
//
// The list of uploads outlives the views: a filter change or a look at one image does not stop or
// hide uploads in progress.

import { presignUpload } from "./api.js";
import { announce, h, uniqueId } from "./dom.js";
import { Watcher } from "./follow.js";
import { contentTypeOf, refusal } from "./files.js";
import { limit } from "./format.js";
import { session } from "./session.js";

const AT_ONCE = 3;

const list = h("ul", { class: "uploads", role: "list", "aria-label": "Uploads" });
const queue = [];
const sending = new Set();
const following = new Map();
let listeners = new Set();
let watcher = null;

/** Call `listener(record)` with each record read while following uploads (the grid shows them). */
export function onUploadRecord(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Stop every upload and forget them (signing out). */
export function resetUploads() {
  for (const item of sending) item.xhr?.abort();
  sending.clear();
  queue.length = 0;
  watcher?.stop();
  watcher = null;
  following.clear();
  list.replaceChildren();
  listeners = new Set();
}

/** The upload panel: the drop zone with the file picker, and the list of uploads. */
export function uploadPanel() {
  const inputId = uniqueId("choose");
  const input = h("input", {
    id: inputId,
    class: "visually-hidden-input",
    type: "file",
    multiple: true,
    accept: "image/jpeg,image/png",
    onchange: () => {
      add([...input.files]);
      input.value = "";
    },
  });
  const maxBytes = session.maxUploadBytes;
  const zone = h(
    "div",
    { class: "drop-zone" },
    input,
    h("label", { for: inputId, class: "button" }, "Choose images"),
    h("p", { class: "hint" }, `or drop them here. JPEG or PNG, up to ${maxBytes ? limit(maxBytes) : "the limit"} each.`),
  );
  const over = (event) => {
    if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  };
  zone.addEventListener("dragenter", over);
  zone.addEventListener("dragover", over);
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    add([...(event.dataTransfer?.files ?? [])]);
  });
  return h(
    "section",
    { class: "upload-panel", "aria-labelledby": "upload-heading" },
    h("h3", { id: "upload-heading" }, "Upload"),
    zone,
    list,
  );
}

/** Keep a file dropped outside the drop zone from replacing the page (returns the undoing). */
export function guardPageFromDrops() {
  const stop = (event) => {
    if ([...(event.dataTransfer?.types ?? [])].includes("Files")) event.preventDefault();
  };
  addEventListener("dragover", stop);
  addEventListener("drop", stop);
  return () => {
    removeEventListener("dragover", stop);
    removeEventListener("drop", stop);
  };
}

function add(files) {
  for (const file of files) {
    const item = uploadItem(file);
    list.prepend(item.element);
    const reason = refusal(file, session.maxUploadBytes);
    if (reason) {
      item.refuse(`Refused: ${reason}`);
      continue;
    }
    queue.push(item);
  }
  if (files.length) announce(`${files.length} ${files.length === 1 ? "file" : "files"} added to the uploads.`);
  pump();
}

function pump() {
  while (sending.size < AT_ONCE && queue.length) {
    const item = queue.shift();
    sending.add(item);
    send(item).finally(() => {
      sending.delete(item);
      pump();
    });
  }
}

function uploadItem(file) {
  const progress = h("progress", { max: "100", value: "0", "aria-label": file.name });
  const status = h("p", { class: "upload-status" }, "Waiting to be sent…");
  const element = h("li", { class: "upload" }, h("p", { class: "upload-name" }, file.name), progress, status);
  return {
    file,
    element,
    progress,
    xhr: null,
    say(text, state = null) {
      status.textContent = text;
      element.dataset.state = state ?? "";
    },
    refuse(text) {
      progress.remove();
      this.say(text, "refused");
    },
  };
}

async function send(item) {
  const { file } = item;
  item.say("Preparing…", "sending");
  let form;
  try {
    form = await presignUpload(file.name, contentTypeOf(file));
  } catch (error) {
    item.refuse(`Refused: ${error.detail}`);
    return;
  }
  item.say("Uploading…", "sending");
  const sent = await post(item, form);
  if (!sent.ok) {
    item.say(sent.message, "failed");
    announce(`${file.name}: ${sent.message}`);
    return;
  }
  item.progress.value = 100;
  const savedAs = form.key.split("/").pop();
  const named = savedAs !== file.name ? ` as ${savedAs}` : "";
  item.say(`Uploaded${named}; waiting for the pipeline…`, "pending");
  follow(item, form.image_id, named);
}

/** POST the presigned form, fields then file, with progress: `{ok, message}`. */
function post(item, form) {
  return new Promise((resolve) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append("file", item.file);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) item.progress.value = Math.floor((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve({ ok: true });
      else resolve({ ok: false, message: `The upload was refused: ${storageMessage(xhr)}` });
    });
    xhr.addEventListener("error", () =>
      resolve({ ok: false, message: "The upload failed: the storage could not be reached. Try again." }),
    );
    xhr.addEventListener("abort", () => resolve({ ok: false, message: "The upload was stopped." }));
    xhr.addEventListener("timeout", () => resolve({ ok: false, message: "The upload took too long. Try again." }));
    xhr.open("POST", form.url);
    xhr.send(data);
  });
}

/** S3's reason for refusing a form (its XML error's Message), or the status. */
function storageMessage(xhr) {
  try {
    const documentXml = new DOMParser().parseFromString(xhr.responseText, "application/xml");
    const message = documentXml.querySelector("Message")?.textContent;
    if (message) return message;
  } catch {
    // not XML: the status says it
  }
  return `the storage answered ${xhr.status}.`;
}

function follow(item, imageId, named) {
  watcher ??= new Watcher(
    (record) => {
      for (const listener of listeners) listener(record);
      const followed = following.get(record.image_id);
      if (followed) followed.show(record);
    },
    (id, error) => {
      following.get(id)?.item.say(error ? `No news of it: ${error.detail}` : "Still not processed: look again later.", "failed");
      following.delete(id);
    },
  );
  following.set(imageId, {
    item,
    show(record) {
      const text = verdictOf(record, named);
      item.say(text, record.status);
      if (record.status !== "pending") {
        following.delete(imageId);
        announce(`${item.file.name}: ${text}`);
      }
    },
  });
  watcher.watch(imageId, (record) => record.status !== "pending");
}

/** What an upload's record says of it, as its status line. */
export function verdictOf(record, named = "") {
  switch (record.status) {
    case "pending":
      return `Uploaded${named}; processing…`;
    case "processed":
      return `Processed${named}`;
    case "rejected":
      return `Rejected: ${record.reason ?? "no reason given"}`;
    case "failed":
      return `Failed: ${record.reason ?? "no reason given"}`;
    default:
      return record.status;
  }
}
