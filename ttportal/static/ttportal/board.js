// The live board. Cards come from the board socket (TTLive, live.js): a "board" payload on
// every (re)connect, then "order.upserted", "order.removed", "site.today" and
// "gateway.status" deltas. Timers tick here every second from each order's "created" and the
// server's clock ("now" in the board payload), never from the browser's own clock alone.
// Actions post the page's forms with fetch and show the gateway's answer; the cards change
// only when the socket says so, as on every other open board.
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root || !window.TTLive) return;

  const FRESH_MS = 5000;
  const TOAST_MS = 7000;
  const actionsRoot = root.dataset.actionsRoot;
  const csrf = root.dataset.csrf;
  const next = root.dataset.next;
  const sites = {};
  let offset = 0; // server clock minus browser clock, in ms
  let drawn = false;

  document.querySelectorAll("[data-board-site]").forEach(function (section) {
    sites[section.dataset.boardSite] = {
      section: section,
      cards: section.querySelector("[data-cards]"),
      empty: section.querySelector("[data-empty]"),
      alerts: section.querySelector("[data-site-alerts]"),
      target: Number(section.dataset.target),
      near: null, // the portal's own share (orders.models.NEAR_TARGET_SHARE), from the payload
      canManage: section.dataset.canManage === "1",
      gateways: {},
      today: null,
    };
  });

  // --- small helpers -------------------------------------------------------------------------

  function serverNow() { return Date.now() + offset; }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  function timing(elapsed, site) {
    if (elapsed > site.target) return "over";
    return elapsed >= site.target * site.near ? "near" : "on_time";
  }

  function make(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function hidden(name, value) { return make("input", { type: "hidden", name: name, value: value }); }

  function actionForm(action, path, gatewayId, orderName) {
    const form = make("form", {
      method: "post",
      action: actionsRoot + gatewayId + "/" + path,
      "data-action": action,
      class: "card-action",
    });
    form.append(hidden("csrfmiddlewaretoken", csrf), hidden("next", next), hidden("name", orderName));
    return form;
  }

  // --- cards ---------------------------------------------------------------------------------

  function cardActions(order) {
    const box = make("div", { class: "card-actions manager-only" });
    const pageForm = actionForm("page", "page", order.gateway, order.name);
    pageForm.append(make("button", { type: "submit", class: "secondary" }, "Page"));

    const locateForm = actionForm("locate", "locate", order.gateway, order.name);
    locateForm.append(
      make("input", {
        name: "table", inputmode: "numeric", autocomplete: "off", size: "3",
        placeholder: "Table", "aria-label": "Table for order " + order.name, maxlength: "9",
      }),
      make("button", { type: "submit", class: "secondary" }, "Set table"),
    );

    const typeForm = actionForm("type", "type", order.gateway, order.name);
    typeForm.append(hidden("order_type", ""), make("button", { type: "submit", class: "secondary" }));

    const clearForm = actionForm("clear", "clear", order.gateway, order.name);
    clearForm.append(make("button", { type: "submit", class: "danger" }, "Clear"));

    box.append(pageForm, locateForm, typeForm, clearForm);
    return box;
  }

  function buildCard(order, site) {
    const card = make("article", { class: "order-card", "data-order-card": "" });
    const head = make("div", { class: "order-head" });
    head.append(
      make("span", { class: "order-number", "data-field": "name" }),
      make("span", { class: "order-elapsed", "data-elapsed": "" }, "0:00"),
    );
    const facts = make("div", { class: "order-facts" });
    facts.append(
      make("span", { class: "order-table", "data-field": "table" }),
      make("span", { class: "order-type", "data-field": "type" }),
      make("span", { class: "order-state", "data-field": "state" }),
      make("span", { class: "order-paged", "data-field": "paged" }, "Paged"),
      make("span", { class: "order-gateway", "data-field": "gateway" }),
    );
    card.append(head, facts);
    if (site.canManage) card.append(cardActions(order));
    return card;
  }

  function signature(order) {
    return [order.name, order.type, order.table, order.state, order.paged].join("|");
  }

  function fill(card, order) {
    const d = card.dataset;
    d.orderUuid = order.uuid;
    d.orderName = order.name;
    d.gateway = String(order.gateway);
    d.site = String(order.site);
    d.state = order.state;
    d.type = order.type;
    d.table = order.table || "";
    d.paged = order.paged ? "true" : "false";
    d.created = order.created;
    d.signature = signature(order);
    card.querySelector('[data-field="name"]').textContent = order.name;
    card.querySelector('[data-field="table"]').textContent = order.table ? "Table " + order.table : "No table yet";
    card.querySelector('[data-field="type"]').textContent = order.type_display;
    card.querySelector('[data-field="state"]').textContent = order.state_display;
    card.querySelector('[data-field="paged"]').hidden = !order.paged;
    labelGateway(card, sites[order.site]);
    const typeForm = card.querySelector('form[data-action="type"]');
    if (typeForm) {
      const toGo = order.type === "TO_GO";
      typeForm.querySelector('[name="order_type"]').value = toGo ? "ON_PREMISES" : "TO_GO";
      typeForm.querySelector("button").textContent = toGo ? "Make eat in" : "Make to go";
    }
    tickCard(card, sites[order.site]);
  }

  // With two gateways on a site, each card says which one its order is on.
  function labelGateway(card, site) {
    const node = card.querySelector('[data-field="gateway"]');
    const ids = Object.keys(site ? site.gateways : {});
    const gateway = site && site.gateways[card.dataset.gateway];
    node.textContent = ids.length > 1 && gateway ? "on " + gateway.label : "";
    node.hidden = !node.textContent;
  }

  function markFresh(card, change) {
    card.dataset.fresh = change;
    clearTimeout(card._freshTimer);
    card._freshTimer = setTimeout(function () { delete card.dataset.fresh; }, FRESH_MS);
  }

  function placeCard(site, card) {
    // Oldest first: the order that has waited longest is the one to look at.
    const created = Date.parse(card.dataset.created);
    const after = Array.prototype.find.call(
      site.cards.querySelectorAll("[data-order-card]"),
      function (other) { return other !== card && Date.parse(other.dataset.created) > created; },
    );
    if (after) site.cards.insertBefore(card, after);
    else site.cards.append(card);
  }

  const cardsByUuid = new Map();

  function findCard(uuid) { return cardsByUuid.get(uuid) || null; }

  function upsert(order, change) {
    const site = sites[order.site];
    if (!site) return;
    let card = findCard(order.uuid);
    const isNew = !card;
    const before = card ? card.dataset.signature : null;
    if (isNew) card = buildCard(order, site);
    fill(card, order);
    if (isNew) {
      placeCard(site, card);
      cardsByUuid.set(order.uuid, card);
    }
    if (change && (isNew || before !== card.dataset.signature)) markFresh(card, isNew ? "created" : change);
    refreshSite(site);
  }

  function remove(uuid) {
    const card = findCard(uuid);
    if (!card) return;
    const site = sites[card.dataset.site];
    card.remove();
    cardsByUuid.delete(uuid);
    if (site) refreshSite(site);
  }

  // --- site figures and gateway alerts ----------------------------------------------------------

  function tickCard(card, site) {
    if (!site) return 0;
    const elapsed = (serverNow() - Date.parse(card.dataset.created)) / 1000;
    card.querySelector("[data-elapsed]").textContent = duration(elapsed);
    const t = timing(Math.floor(elapsed), site);
    if (card.dataset.timing !== t) card.dataset.timing = t;
    return t === "over" ? 1 : 0;
  }

  function setFigure(site, name, text) {
    const node = site.section.querySelector('[data-figure="' + name + '"]');
    if (node && node.textContent !== text) node.textContent = text;
  }

  function refreshSite(site) {
    const cards = site.cards.querySelectorAll("[data-order-card]");
    let over = 0;
    cards.forEach(function (card) { over += tickCard(card, site); });
    if (site.empty) site.empty.hidden = cards.length > 0;
    setFigure(site, "active", String(cards.length));
    setFigure(site, "over_target", String(over));
    site.section.dataset.over = String(over);
    const today = site.today;
    if (!today) return;
    // After the site's midnight, yesterday's figures are not today's: start again from zero.
    const stale = serverNow() >= Date.parse(today.day_ends);
    setFigure(site, "cleared", String(stale ? 0 : today.cleared));
    const average = stale ? null : today.average_delivery_seconds;
    setFigure(site, "average", average === null ? "–" : duration(average));
  }

  const ALERTS = {
    offline: " is offline: orders started or cleared on it may not show until it is back.",
    needs_pairing: " refused the portal's token: a manager must pair it again.",
  };

  function renderAlerts(site) {
    site.alerts.textContent = "";
    Object.keys(site.gateways).forEach(function (id) {
      const gateway = site.gateways[id];
      if (!ALERTS[gateway.status]) return;
      const alert = make("p", {
        class: "site-alert",
        "data-gateway-alert": String(gateway.id),
        "data-status": gateway.status,
      });
      alert.append(make("strong", {}, gateway.label || gateway.name), ALERTS[gateway.status]);
      site.alerts.append(alert);
    });
    site.section.dataset.alerts = String(site.alerts.children.length);
  }

  // --- the socket's payloads ---------------------------------------------------------------------

  TTLive.on("board", function (payload) {
    offset = Date.parse(payload.now) - Date.now();
    payload.sites.forEach(function (data) {
      const site = sites[data.id];
      if (!site) return;
      site.target = data.target_seconds;
      site.near = data.near_share;
      site.section.dataset.target = String(data.target_seconds);
      const shown = site.section.querySelector("[data-target-display]");
      if (shown) shown.textContent = duration(data.target_seconds);
      site.gateways = {};
      data.gateways.forEach(function (g) { site.gateways[g.id] = g; });
      renderAlerts(site);
      const keep = {};
      data.orders.forEach(function (order) { keep[order.uuid] = true; });
      site.cards.querySelectorAll("[data-order-card]").forEach(function (card) {
        if (!keep[card.dataset.orderUuid]) remove(card.dataset.orderUuid);
      });
      // The first picture is not news; a picture after a reconnect marks what changed meanwhile.
      data.orders.forEach(function (order) { upsert(order, drawn ? "snapshot" : null); });
      site.today = data.today;
      refreshSite(site);
    });
    drawn = true;
    root.dataset.ready = "1";
  });

  TTLive.on("order.upserted", function (payload) { upsert(payload.order, payload.change); });

  TTLive.on("order.removed", function (payload) { remove(payload.order.uuid); });

  TTLive.on("site.today", function (payload) {
    const site = sites[payload.site];
    if (!site) return;
    site.today = payload.today;
    refreshSite(site);
  });

  TTLive.on("gateway.status", function (payload) {
    const g = payload.gateway;
    const site = sites[g.site];
    if (!site) return;
    const known = site.gateways[g.id] || {};
    site.gateways[g.id] = {
      id: g.id, name: g.name, label: known.label || g.name, status: g.status, status_display: g.status_display,
    };
    renderAlerts(site);
  });

  TTLive.on("live.open", function () { root.dataset.connected = "1"; });
  TTLive.on("live.closed", function () { root.dataset.connected = "0"; });

  // --- actions -------------------------------------------------------------------------------

  const toast = document.getElementById("board-toast");
  let toastTimer = null;

  function tellPerson(ok, message, warning) {
    if (!toast) return;
    toast.dataset.ok = ok ? "1" : "0";
    toast.querySelector("[data-toast-message]").textContent = message || "";
    toast.querySelector("[data-toast-warning]").textContent = warning || "";
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, TOAST_MS);
  }

  // A refusal about one field is shown next to it, as well as in the toast.
  function clearFieldErrors(form) {
    form.querySelectorAll("[data-field-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
  }

  function showFieldError(form, field, message) {
    const input = field && form.querySelector('[name="' + field + '"]');
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    const note = make("span", { class: "field-error", "data-field-error": field, role: "alert" }, message);
    (input.closest("label") || input).after(note);
  }

  async function send(form) {
    const buttons = form.querySelectorAll("button");
    clearFieldErrors(form);
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
      let answer;
      try {
        answer = await response.json();
      } catch (error) {
        answer = { ok: false, message: "The portal answered " + response.status + ". Reload the page and try again." };
      }
      tellPerson(answer.ok, answer.message, answer.warning);
      if (!answer.ok) showFieldError(form, answer.field, answer.message);
      if (answer.can_page === false) {
        const card = form.closest("[data-order-card]");
        if (card) card.dataset.noTracker = "1";
      }
      if (answer.ok) {
        form.querySelectorAll('input[name="table"], .start-form input[name="name"]').forEach(function (i) { i.value = ""; });
        if (form.dataset.action === "clear-all-confirm") form.remove();
      }
    } catch (error) {
      tellPerson(false, "The portal did not answer. Check the connection and try again.");
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  root.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.action) return;
    event.preventDefault();
    send(form);
  });

  // "Clear all…" asks first, on the board itself (the link's own page asks when there is no JS).
  root.addEventListener("click", function (event) {
    const link = event.target.closest('a[data-action="clear-all"]');
    if (!link) return;
    event.preventDefault();
    const holder = link.closest("form") || link.parentElement;
    const old = holder.parentElement.querySelector('form[data-action="clear-all-confirm"]');
    if (old) old.remove();
    const id = link.dataset.gateway;
    const count = root.querySelectorAll('[data-order-card][data-gateway="' + id + '"]').length;
    const confirmForm = make("form", {
      method: "post",
      action: actionsRoot + id + "/clear-all",
      class: "clear-all-confirm",
      "data-action": "clear-all-confirm",
      "data-gateway": id,
    });
    confirmForm.append(
      hidden("csrfmiddlewaretoken", csrf),
      hidden("next", next),
      hidden("confirm", "yes"),
      make("span", {}, "Clear all " + count + " active order" + (count === 1 ? "" : "s") + "? "),
      make("button", { type: "submit", class: "danger" }, "Yes, clear all"),
    );
    const cancel = make("button", { type: "button", class: "secondary" }, "Cancel");
    cancel.addEventListener("click", function () { confirmForm.remove(); });
    confirmForm.append(" ", cancel);
    holder.after(confirmForm);
  });

  // --- the clock -------------------------------------------------------------------------------

  const clock = document.getElementById("board-clock");
  setInterval(function () {
    Object.keys(sites).forEach(function (id) { refreshSite(sites[id]); });
    if (clock && drawn) clock.textContent = new Date(serverNow()).toLocaleTimeString();
  }, 1000);
})();
