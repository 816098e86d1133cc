// Inline images of a mail (src="cid:...") shown in place from their stored attachment.
(function () {
  "use strict";
  function apply() {
    document.querySelectorAll("[data-mail-cids]").forEach(function (el) {
      if (el.dataset.applied) { return; }
      el.dataset.applied = "1";
      var message = el.closest("li.message") || document;
      var map = {};
      el.dataset.mailCids.split("|").forEach(function (pair) {
        var i = pair.indexOf(" ");
        if (i > 0) { map["cid:" + pair.slice(0, i)] = pair.slice(i + 1); }
      });
      message.querySelectorAll("img[src^='cid:']").forEach(function (img) {
        var url = map[img.getAttribute("src")];
        if (url) { img.setAttribute("src", url); }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", apply);
  } else {
    apply();
  }
  document.addEventListener("htmx:afterSwap", apply);
})();
