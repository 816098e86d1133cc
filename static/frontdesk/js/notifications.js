/* The notification bell: a live hint ("you have a new notification") makes the bell ask
   the server for its count again. The socket never carries the notification itself. */
(function () {
  "use strict";
  if (window.frontdeskNotifications) return;  // the bell template may load this twice
  window.frontdeskNotifications = true;
  document.addEventListener("frontdesk:live", function (event) {
    var msg = event.detail || {};
    if (msg.event !== "notification") return;
    var bell = document.getElementById("notification-bell");
    if (bell && window.htmx) window.htmx.trigger(bell, "live");
  });
})();
