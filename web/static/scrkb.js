// Progressive enhancement only: every feature works without this file.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

const live = document.querySelector("[data-live]");
const announce = (message) => {
  if (!live) return;
  live.textContent = "";
  window.setTimeout(() => { live.textContent = message; }, 50);
};

const post = (form, extra = {}) => {
  const body = new URLSearchParams(new FormData(form));
  for (const [key, value] of Object.entries(extra)) body.set(key, value);
  return fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
};

// Content notice: hide without a page reload.
const notice = document.querySelector("[data-module='scrkb-notice']");
if (notice) {
  const form = notice.querySelector("form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const response = await post(form);
      if (!response.ok) throw new Error(String(response.status));
      notice.hidden = true;
      const main = document.getElementById("main-content");
      main.setAttribute("tabindex", "-1");
      main.focus();
      announce("Notice hidden. It will not be shown again on this device.");
    } catch {
      form.submit();
    }
  });
}

// Add to pack: stay on the page, update the count in the header.
for (const form of document.querySelectorAll("form[data-module='scrkb-add-to-pack']")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    try {
      const response = await post(form);
      if (!response.ok) throw new Error(String(response.status));
      const result = await response.json();
      for (const count of document.querySelectorAll("[data-pack-count]")) {
        count.textContent = String(result.count);
      }
      const hidden = button.querySelector(".govuk-visually-hidden");
      button.firstChild.textContent = result.added ? "Added to pack" : "Already in pack";
      if (hidden) button.append(hidden);
      button.setAttribute("data-added", "");
      const noun = result.count === 1 ? "passage" : "passages";
      announce(`${result.added ? "Added to your pack" : "Already in your pack"}. ${result.count} ${noun} in your pack.`);
    } catch {
      form.submit();
    }
  });
}

// Pack page: save typed notes before a download, so the file includes them.
const packForm = document.querySelector("form[data-module='scrkb-pack']");
const exportForm = document.querySelector("form[data-module='scrkb-export']");
if (packForm && exportForm) {
  let dirty = false;
  packForm.addEventListener("input", () => { dirty = true; });
  exportForm.addEventListener("submit", async (event) => {
    if (!dirty) return;
    event.preventDefault();
    try {
      await post(packForm, { action: "save" });
      dirty = false;
    } finally {
      exportForm.submit();
    }
  });
}
