/* Live hints for the agent workspace over the websocket (/ws/desk/). A hint only says
   "look again": the page re-asks the server through the views it already polls, so it
   never shows data from the socket itself. Polling stays on as the fallback. */
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var retry = 1000;
  var countsTimer = null;

  function trigger(selector, name) {
    var el = document.querySelector(selector);
    if (el && window.htmx) window.htmx.trigger(el, name);
  }

  function connect() {
    var socket = new WebSocket(scheme + location.host + "/ws/desk/");
    socket.addEventListener("open", function () {
      retry = 1000;
      var watched = document.querySelector("[data-live-ticket]");
      if (watched) socket.send(JSON.stringify({ watch: parseInt(watched.dataset.liveTicket, 10) }));
      document.documentElement.dataset.live = "on";
    });
    socket.addEventListener("message", function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.event === "ticket.changed" || msg.event === "presence.changed") {
        trigger("#presence", "live");
      } else if (msg.event === "queues.changed" && !countsTimer) {
        // Many changes in a burst refresh the counts once.
        countsTimer = setTimeout(function () { countsTimer = null; trigger("#view-counts", "live"); }, 2000);
      }
      document.dispatchEvent(new CustomEvent("frontdesk:live", { detail: msg }));
    });
    socket.addEventListener("close", function (event) {
      document.documentElement.dataset.live = "off";
      if (event.code === 4403) return;  // not an agent: polling only
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 60000);
    });
  }
  connect();
})();
