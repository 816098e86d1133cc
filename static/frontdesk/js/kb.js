/* Knowledge base: insert an article into the reply composer. No inline code anywhere
   (strict CSP): behaviour hangs off data attributes. */
(function () {
  "use strict";

  function insertAtCursor(textarea, text) {
    const start = textarea.selectionStart || 0;
    const end = textarea.selectionEnd || 0;
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(end);
    const gap = before && !before.endsWith("\n") ? "\n\n" : "";
    textarea.value = before + gap + text + after;
    const caret = (before + gap + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    const textarea = document.getElementById("composer-text");
    if (!textarea) return;
    event.preventDefault();
    if (button.dataset.kbInsert === "link") {
      insertAtCursor(textarea, button.dataset.kbTitle + ": " + button.dataset.kbUrl);
    } else {
      insertAtCursor(textarea, button.dataset.kbText || "");
    }
  });

  // Enter in the article search must not send the reply it sits in.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.id === "kb-composer-q") {
      event.preventDefault();
    }
  });
})();
