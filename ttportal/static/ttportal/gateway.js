// A gateway's page stays true without a reload: when its status changes or a pairing ends, the
// page's [data-refresh] sections (facts, pairing, status changes) are fetched again and swapped
// in, so "Token: none", the "pair now" button and the list of changes follow what happened.
(function () {
  "use strict";
  const pairing = document.getElementById("pairing");
  if (!pairing || !window.TTLive) return;
  const id = pairing.dataset.gateway;
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      document.querySelectorAll("[data-refresh]").forEach(function (node) {
        const replacement = fresh.getElementById(node.id);
        if (replacement) node.replaceWith(document.importNode(replacement, true));
      });
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    } catch (error) {
      // The next change tries again; the live badge is already right meanwhile.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  TTLive.on("gateway.status", function (payload) {
    if (String(payload.gateway.id) === id) refresh();
  });
  TTLive.on("gateway.pairing", function (payload) {
    if (String(payload.pairing.gateway) === id && payload.pairing.outcome !== "waiting") refresh();
  });
})();
