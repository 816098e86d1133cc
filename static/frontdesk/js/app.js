/* Frontdesk agent workspace: keyboard shortcuts and the reply/note switch. No inline code
   anywhere (strict CSP): behaviour hangs off data attributes. */
(function () {
  "use strict";

  function typing(event) {
    const el = event.target;
    return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
  }

  function rows() { return Array.from(document.querySelectorAll("tr[data-ticket-url]")); }

  function select(index) {
    const list = rows();
    if (!list.length) return;
    const i = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, n) {
      row.classList.toggle("selected", n === i);
      row.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    const link = list[i].querySelector("a");
    if (link) link.focus({ preventScroll: false });
  }

  function current() { return rows().findIndex(function (r) { return r.classList.contains("selected"); }); }

  function click(name) {
    const el = document.querySelector('[data-shortcut="' + name + '"]');
    if (el) { el.click(); return true; }
    return false;
  }

  function composerMode(mode) {
    const input = document.querySelector('input[name="kind"][value="' + mode + '"]');
    if (!input) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    const body = document.querySelector("#composer textarea");
    if (body) body.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    let handled = true;
    if (key === "j") { rows().length ? select(current() + 1) : click("next"); }
    else if (key === "k") { rows().length ? select(current() - 1) : click("previous"); }
    else if (key === "Enter" && rows().length && current() >= 0) { window.location = rows()[current()].dataset.ticketUrl; }
    else if (key === "x" && rows().length && current() >= 0) {
      const box = rows()[current()].querySelector('input[type="checkbox"]');
      if (box) box.checked = !box.checked;
    }
    else if (key === "r") { composerMode("public"); }
    else if (key === "n") { composerMode("note"); }
    else if (key === "a") { handled = click("assign-me"); }
    else if (key === "s") { handled = click("solve"); }
    else if (key === "/") { const s = document.querySelector("#global-search"); if (s) s.focus(); else handled = false; }
    else if (key === "?") { const d = document.querySelector("#shortcuts"); if (d) d.showModal(); else handled = false; }
    else { handled = false; }
    if (handled) event.preventDefault();
  });

  // Reply/note switch: the whole composer changes colour and the button says what it does.
  document.addEventListener("change", function (event) {
    const input = event.target;
    if (input.name !== "kind" || !input.closest("#composer")) return;
    const composer = input.closest("#composer");
    const note = input.value === "note";
    composer.classList.toggle("mode-note", note);
    const submit = composer.querySelector("[data-submit-label]");
    if (submit) submit.textContent = note ? submit.dataset.noteLabel : submit.dataset.submitLabel;
    const warning = composer.querySelector("[data-mode-warning]");
    if (warning) warning.textContent = note ? warning.dataset.note : warning.dataset.public;
  });

  // Tell colleagues we are replying while the composer holds text (sent with the heartbeat).
  document.addEventListener("input", function (event) {
    if (event.target.id !== "composer-text") return;
    const flag = document.getElementById("composer-replying");
    if (flag) flag.value = event.target.value.trim() ? "1" : "0";
  });

  document.addEventListener("click", function (event) {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
    const all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll('input[name="tickets"]').forEach(function (box) { box.checked = all.checked; });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (rows().length && document.body.dataset.autoselect === "1") select(0);
  });
})();
