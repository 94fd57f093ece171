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

// Theme tags: one tab stop per group (the first tag, or the last one used); the arrow
// keys, Home and End move between the tags of the group. Without JavaScript every tag
// is a link in the tab order, as before.
for (const list of document.querySelectorAll("ul.scrkb-tags")) {
  const links = [...list.querySelectorAll("a")];
  if (links.length < 2) continue;
  links.forEach((link, i) => link.setAttribute("tabindex", i === 0 ? "0" : "-1"));
  list.addEventListener("keydown", (event) => {
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    const to = {
      ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
      Home: 0, End: links.length - 1,
    }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = links[(to + links.length) % links.length];
    links.forEach((link) => link.setAttribute("tabindex", link === next ? "0" : "-1"));
    next.focus();
  });
}
