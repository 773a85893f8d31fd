import { ApiError, explain } from "../api.js";
import { h, replace } from "../dom.js";

export async function renderSignIn(main, { navigate, signIn, continueWithoutKey, keylessAvailable }) {
  const error = h("div", { id: "signin-error", role: "alert" });
  const input = h("input", {
    id: "api-key", name: "api-key", type: "password", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "api-key-hint signin-error",
  });
  const button = h("button", { type: "submit", id: "sign-in" }, "Sign in");
  const form = h(
    "form",
    {
      class: "panel",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) {
          replace(error, h("p", { class: "field-error" }, "Paste an API key first."));
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        button.disabled = true;
        replace(error);
        try {
          await signIn(key);
          input.value = "";
          navigate("#/inbox");
        } catch (failure) {
          const message = failure instanceof ApiError && failure.status === 401
            ? "The API refused this key (401): check it and try again."
            : explain(failure);
          replace(error, h("p", { class: "notice error" }, message));
          input.setAttribute("aria-invalid", "true");
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("div", { class: "field" },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("p", { class: "hint", id: "api-key-hint" },
        "Kept in this tab's session storage (gone when the tab closes) and sent only as an ",
        h("code", {}, "Authorization: Bearer"), " header. Create one with ",
        h("code", {}, "agent-runtime api-key create --tenant <tenant>"), ".")),
    error,
    h("div", { class: "actions" }, button),
  );
  const local = h("div");
  replace(main, h("section", { class: "signin" }, h("h1", {}, "Sign in"), form, local));
  if (await keylessAvailable()) {
    replace(local, h("div", { class: "panel" },
      h("p", {}, "This API accepts requests without a key (the local stack acts as tenant ", h("strong", {}, "default"), ")."),
      h("button", {
        type: "button", class: "secondary", id: "no-key",
        onclick: async () => { await continueWithoutKey(); navigate("#/inbox"); },
      }, "Continue without a key")));
  }
  input.focus();
}
