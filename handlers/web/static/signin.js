// The sign-in form. A wrong user name or password gets one message that does not say which was
// wrong (the API does not either); too many failures say when to try again.

import { signIn } from "./api.js";
import { h, showFieldError, uniqueId } from "./dom.js";

const WRONG = "The user name or password is wrong.";

/** Show the form in `main`; `onSignedIn(answer)` once signed in. `notice`: why the user is here. */
export function showSignIn(main, { notice, onSignedIn }) {
  const nameId = uniqueId("username");
  const passwordId = uniqueId("password");
  const username = h("input", { id: nameId, name: "username", type: "text", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { id: passwordId, name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", novalidate: true, "aria-labelledby": "sign-in-heading" },
    h("div", { class: "field" }, h("label", { for: nameId }, "User name"), username),
    h("div", { class: "field" }, h("label", { for: passwordId }, "Password"), password),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldError(submit, "");
    if (!username.value.trim() || !password.value) {
      showFieldError(submit, "Enter your user name and password.");
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    try {
      const answer = await signIn(username.value.trim(), password.value);
      password.value = "";
      onSignedIn(answer);
    } catch (error) {
      submit.disabled = false;
      password.value = "";
      showFieldError(submit, messageFor(error));
      password.focus();
    }
  });
  main.replaceChildren(
    h("h2", { id: "sign-in-heading", tabindex: "-1" }, "Sign in"),
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    form,
  );
  username.focus();
}

function messageFor(error) {
  if (error.status === 401 && error.error === "bad-credentials") return WRONG;
  if (error.status === 429) return `Too many failed sign-ins: ${error.detail.replace(/^.*?: /, "")}.`;
  if (error.status === 400) return WRONG; // a name or password the API cannot take is wrong either way
  return `Signing in failed: ${error.detail}`;
}
