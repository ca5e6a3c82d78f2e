// Live updates for portal pages: one WebSocket to /ws/sites/, reconnected with backoff.
// Pages register handlers by payload type: TTLive.on("gateway.status", fn). A page may ask
// for another socket with <body data-live-path="/ws/board/">, and for one site only with
// data-live-site; "live.open" and "live.closed" are told to handlers as the socket comes and goes,
// and <body data-live="open|closed"> says where it stands (for styles, and for the browser tests).
(function () {
  "use strict";
  const handlers = {};
  const banner = document.getElementById("live-banner");
  let delay = 500;
  let socket = null;

  function on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); }

  function tell(payload) {
    (handlers[payload.type] || []).forEach(function (fn) { fn(payload); });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const site = document.body.dataset.liveSite;
    const query = site ? "?site=" + encodeURIComponent(site) : "";
    const path = document.body.dataset.livePath || "/ws/sites/";
    socket = new WebSocket(scheme + "://" + location.host + path + query);
    socket.onopen = function () {
      delay = 500;
      if (banner) banner.hidden = true;
      document.body.dataset.live = "open";
      tell({ type: "live.open" });
    };
    socket.onmessage = function (message) { tell(JSON.parse(message.data)); };
    socket.onclose = function (event) {
      document.body.dataset.live = "closed";
      tell({ type: "live.closed", code: event.code });
      if (event.code === 4401 || event.code === 4403) return;  // not allowed: do not hammer
      if (banner) banner.hidden = false;
      // Capped exponential backoff with jitter, so a restarted server is not stampeded.
      setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  function setText(selector, text) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = text; });
  }

  on("gateway.status", function (payload) {
    const g = payload.gateway;
    document.querySelectorAll('[data-gateway-badge="' + g.id + '"]').forEach(function (el) {
      el.textContent = g.status_display;
      el.className = "badge status-" + g.status;
      el.title = g.last_error || ("since " + g.status_changed);
    });
    setText('[data-gateway-address="' + g.id + '"]', g.address);
    if (g.last_seen) setText('[data-gateway-seen="' + g.id + '"]', g.last_seen.replace("T", " ").slice(0, 19));
    setText('[data-gateway-error="' + g.id + '"]', g.last_error);
  });

  on("gateway.pairing", function (payload) {
    const p = payload.pairing;
    const box = document.getElementById("pairing");
    if (!box || box.dataset.gateway !== String(p.gateway)) return;
    const status = document.getElementById("pairing-status");
    status.dataset.outcome = p.outcome;
    const left = p.outcome === "waiting" ? " (" + p.seconds_left + " s left)" : "";
    status.innerHTML = "";
    const strong = document.createElement("strong");
    strong.textContent = p.message + left;
    status.append(strong);
  });

  window.TTLive = { on: on };
  connect();
})();
