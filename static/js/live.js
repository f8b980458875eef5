// Live session page (and the shared half of the host console): one socket to /live, a fresh snapshot on every
// (re)connect, user text inserted with textContent only. No inline scripts: ids come from data-* attributes.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || typeof window.io === "undefined") return;

  var S = document.getElementById("live-strings").dataset;
  var sessionId = parseInt(root.dataset.sessionId, 10);
  var loggedIn = root.dataset.loggedIn === "1";
  var canModerate = root.dataset.canModerate === "1";
  var muteAsk = root.dataset.muteAsk === "1";
  var locale = root.dataset.locale === "en" ? "en-US" : "vi-VN";
  var money = new Intl.NumberFormat(locale, { style: "currency", currency: "VND", maximumFractionDigits: 0 });
  var num = new Intl.NumberFormat(locale);
  var offersEl = document.getElementById("live-offers");
  var chatEl = document.getElementById("live-chat");
  var tickerEl = document.getElementById("live-ticker");
  var resultEl = document.getElementById("live-result");
  var you = { user_id: null, logged_in: loggedIn, can_moderate: canModerate };
  var retries = []; // orders whose answer was lost: re-sent with the SAME key once connected again

  function fill(pattern, values) {
    return String(pattern).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }
  var units = {};
  String(S.units || "").split(",").forEach(function (pair) { var kv = pair.split(":"); units[kv[0]] = kv[1]; });
  function unitLabel(unit) { return units[unit] || unit || ""; }
  function byId(id) { return document.getElementById(id); }
  function show(el, on) { if (el) el.hidden = !on; }
  function setText(el, text) { if (el) el.textContent = text; }
  function newKey() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "live-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function intOrNull(value) {
    var n = Number(value);
    return value !== "" && Number.isInteger(n) ? n : null;
  }

  // Socket.IO client: websocket first (no sticky sessions needed), long-polling if a network blocks it.
  var socket = window.io("/live", { transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });

  var api = { socket: socket, S: S, fill: fill, money: money, num: num, sessionId: sessionId, newKey: newKey,
              intOrNull: intOrNull, result: result, unitLabel: unitLabel };
  window.ChoPhienLive = api;

  // ---- connection and snapshot -------------------------------------------------------------------------
  function banner(on) { show(byId("live-banner"), on); }
  socket.on("connect", function () { join(); });
  socket.on("disconnect", function () { banner(true); });
  socket.on("connect_error", function (err) {
    banner(true);
    // Refused by a server that could not reach its database for a moment: Socket.IO does not retry a refused
    // connection by itself, so try again shortly.
    if (err && err.message === "unavailable" && !socket.active) {
      window.setTimeout(function () { socket.connect(); }, 2000);
    }
  });
  // The servers lost (ok: false) or found again (ok: true) the queue that carries other servers' updates:
  // "reconnecting" meanwhile, then a fresh snapshot catches up with whatever was missed.
  socket.on("relay", function (data) {
    if (data && data.ok) join(); else banner(true);
  });
  // This person logged out (in another tab, or another device): the server closes the socket; show the page
  // as an anonymous viewer sees it.
  socket.on("logged_out", function () { window.location.reload(); });

  function join() {
    // frames: the room's stock, sales, hearts and viewers arrive as ONE "tick" message per tick (below)
    socket.timeout(10000).emit("join", { session_id: sessionId, frames: true }, function (err, ack) {
      if (err || !ack || !ack.ok) { window.setTimeout(join, 2000); return; }
      banner(false);
      applySnapshot(ack.snapshot);
      var again = retries.splice(0);
      again.forEach(function (r) { sendOrder(r.card, r.req, r.tries); });
    });
  }

  function applySnapshot(snap) {
    you = snap.you || you;
    setStatus(snap.session.status);
    setText(byId("live-viewers"), num.format(snap.viewers));
    setText(byId("live-hearts"), num.format(snap.hearts));
    if (offersEl) {
      var seen = {};
      snap.offers.forEach(function (o) { seen[o.id] = true; upsertOffer(o); });
      Array.prototype.forEach.call(offersEl.querySelectorAll(".offer"), function (card) {
        if (!seen[card.dataset.offerId]) card.remove();
      });
      show(byId("live-no-offers"), snap.offers.length === 0);
    }
    if (chatEl) {
      chatEl.textContent = "";
      snap.chat.forEach(addChat);
    }
    document.dispatchEvent(new CustomEvent("live:snapshot", { detail: snap }));
  }

  function setStatus(status) {
    root.dataset.status = status;
    var badge = byId("live-status");
    if (badge) {
      badge.className = "badge" + (status === "live" ? " badge-live" : status === "scheduled" ? " badge-wait" : "");
      badge.textContent = S["status" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
    }
    if (status === "live" && offersEl) {
      Array.prototype.forEach.call(offersEl.querySelectorAll(".offer"), function (card) {
        setRemaining(card, parseInt(card.dataset.remaining, 10) || 0);
      });
    }
    if (status === "ended" && offersEl) {
      Array.prototype.forEach.call(offersEl.querySelectorAll(".offer"), function (card) { card.remove(); });
      show(byId("live-no-offers"), false);
      result(S.ended, false);
    }
  }

  // ---- offers ------------------------------------------------------------------------------------------
  function offerCard(id) { return offersEl && offersEl.querySelector('.offer[data-offer-id="' + id + '"]'); }

  function upsertOffer(o) {
    if (!offersEl) return;
    var card = offerCard(o.id);
    if (o.status === "closed") { if (card) card.remove(); show(byId("live-no-offers"), !offersEl.querySelector(".offer")); return; }
    if (!card) {
      card = byId("tpl-offer").content.firstElementChild.cloneNode(true);
      card.dataset.offerId = o.id;
      offersEl.insertBefore(card, offersEl.firstChild);
    }
    card.dataset.limit = o.per_buyer_limit;
    card.dataset.price = o.price_vnd;
    card.dataset.unit = unitLabel(o.unit);
    card.dataset.title = o.title;
    setText(card.querySelector(".offer-title"), o.title);
    if (o.number) { card.dataset.number = o.number; setText(card.querySelector(".offer-number"), "#" + o.number); }
    setText(card.querySelector(".offer-price-value"), money.format(o.price_vnd));
    Array.prototype.forEach.call(card.querySelectorAll(".offer-unit"), function (el) { el.textContent = unitLabel(o.unit); });
    setText(card.querySelector(".offer-initial"), o.title.charAt(0));
    if (o.image && !card.querySelector(".offer-pic img")) {
      var img = document.createElement("img");
      img.src = o.image; img.alt = ""; img.loading = "lazy";
      card.querySelector(".offer-pic").appendChild(img);
    }
    setRemaining(card, o.remaining);
    show(byId("live-no-offers"), false);
  }

  function setRemaining(card, remaining) {
    card.dataset.remaining = remaining;
    var unit = card.dataset.unit;
    var limit = parseInt(card.dataset.limit, 10);
    setText(card.querySelector(".offer-left"), fill(S.left, { n: num.format(remaining), unit: unit, limit: num.format(limit) }));
    var soldOut = remaining <= 0 || root.dataset.status !== "live";
    show(card.querySelector(".offer-buy"), !soldOut);
    show(card.querySelector(".offer-soldout"), remaining <= 0);
    var input = card.querySelector(".offer-qty");
    var max = Math.max(1, Math.min(limit, remaining));
    input.max = max;
    if (parseInt(input.value, 10) > max) input.value = max;
  }

  if (offersEl) {
    Array.prototype.forEach.call(offersEl.querySelectorAll(".offer"), function (card) {
      if (!card.dataset.title) card.dataset.title = card.querySelector(".offer-title").textContent;
    });
    offersEl.addEventListener("click", function (event) {
      var card = event.target.closest(".offer");
      if (!card) return;
      var input = card.querySelector(".offer-qty");
      var qty = parseInt(input.value, 10) || 1;
      if (event.target.closest(".step-down")) input.value = Math.max(1, qty - 1);
      else if (event.target.closest(".step-up")) input.value = Math.min(parseInt(input.max, 10) || qty + 1, qty + 1);
      else if (event.target.closest(".offer-order")) order(card);
    });
  }

  function order(card) {
    // The checkout sheet (live-sheet.js) takes the tap when the page has one: quantity, address, way to pay.
    if (api.openSheet && api.openSheet(card, you)) return;
    if (!you.logged_in) {
      show(byId("live-login"), true);
      byId("live-login").scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    var qty = intOrNull(card.querySelector(".offer-qty").value);
    sendOrder(card, { offer_id: parseInt(card.dataset.offerId, 10), qty: qty, key: newKey() }, 0);
  }

  function sendOrder(card, req, tries) {
    var button = card.querySelector(".offer-order");
    button.disabled = true;
    button.textContent = S.ordering;
    socket.timeout(8000).emit("order", req, function (err, ack) {
      if (err) {
        // No answer (network): the same key again, so a retry can never make a second order.
        result(S.retry, false);
        if (tries < 3) { retries.push({ card: card, req: req, tries: tries + 1 }); if (socket.connected) join(); return; }
        ack = { ok: false, message: S.error };
      }
      button.disabled = false;
      button.textContent = S.order;
      if (ack.ok) {
        done(card, ack);
        setRemaining(card, ack.remaining);
      } else {
        result(ack.message, true);
        if (ack.error === "not_logged_in") show(byId("live-login"), true);
        if (typeof ack.remaining === "number") setRemaining(card, ack.remaining);
      }
    });
  }

  function done(card, ack) {
    if (!resultEl) return;
    resultEl.textContent = fill(S.done, { qty: num.format(ack.order.qty), unit: card.dataset.unit,
                                          title: card.dataset.title || "", total: money.format(ack.order.total_vnd) }) + " ";
    var link = document.createElement("a");
    link.href = ack.order.url;
    link.textContent = S.seeOrder;
    resultEl.appendChild(link);
    resultEl.className = "live-result ok";
    show(resultEl, true);
  }

  function result(text, isError) {
    if (!resultEl) return;
    resultEl.textContent = text;
    resultEl.className = "live-result" + (isError ? " bad" : "");
    resultEl.setAttribute("role", isError ? "alert" : "status");
    show(resultEl, true);
  }

  function onStock(data) {
    var card = offerCard(data.offer_id);
    if (card) setRemaining(card, data.remaining);
  }
  socket.on("stock", onStock);
  socket.on("offer", function (o) { upsertOffer(o); });
  socket.on("session", function (data) {
    setStatus(data.status);
    if (data.status === "ended" && data.reason) result(fill(S.endedReason, { reason: data.reason }), true);
    // The buyer's page of an ended session is another page (the replay, what sold): load it, the crowd spread
    // over a few seconds.
    if (data.status === "ended" && root.dataset.page === "watch") {
      window.setTimeout(function () { window.location.reload(); }, 3000 + Math.random() * 7000);
    }
  });
  // Commune staff blocked this account: say why and stop; the server refuses its events anyway.
  socket.on("banned", function (data) {
    socket.io.opts.reconnection = false;
    socket.disconnect();
    banner(false);
    result((data && data.message) || S.error, true);
    Array.prototype.forEach.call(root.querySelectorAll("form button, .offer-order"), function (b) { b.disabled = true; });
  });
  function onViewers(data) { setText(byId("live-viewers"), num.format(data.count)); }
  function onHearts(data) { setText(byId("live-hearts"), num.format(data.total)); }
  socket.on("viewers", onViewers);
  socket.on("hearts", onHearts);

  // ---- ticker ------------------------------------------------------------------------------------------
  function onSold(data) {
    if (!tickerEl) return;
    var li = document.createElement("li");
    var text = fill(S.sold, { buyer: data.buyer, qty: num.format(data.qty), unit: unitLabel(data.unit) });
    if (data.more) text += " " + fill(S.more, { n: num.format(data.more) });
    li.textContent = text;
    tickerEl.insertBefore(li, tickerEl.firstChild);
    while (tickerEl.children.length > 4) tickerEl.lastChild.remove();
  }
  socket.on("sold", onSold);
  // One frame per tick (the page joins with frames: true): each part as its own message would have said.
  socket.on("tick", function (frame) {
    (frame.stock || []).forEach(onStock);
    if (frame.sold) onSold(frame.sold);
    if (frame.viewers) onViewers(frame.viewers);
    if (frame.hearts) onHearts(frame.hearts);
  });

  // ---- chat --------------------------------------------------------------------------------------------
  function addChat(m) {
    if (!chatEl || chatEl.querySelector('.chat-item[data-id="' + m.id + '"]')) return;
    var li = byId("tpl-chat").content.firstElementChild.cloneNode(true);
    li.dataset.id = m.id;
    li.dataset.userId = m.user_id;
    if (m.host) li.classList.add("chat-host");
    setText(li.querySelector(".chat-user"), m.user);
    setText(li.querySelector(".chat-text"), m.text);
    if ((you.can_moderate) && !m.host && m.user_id !== you.user_id) {
      var tools = document.createElement("span");
      tools.className = "chat-tools";
      [["remove", S.remove], ["mute", muteAsk ? S.muteAsk : S.mute]].forEach(function (pair) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "btn-link chat-" + pair[0];
        b.textContent = pair[1];
        tools.appendChild(b);
      });
      li.appendChild(tools);
    } else if (you.logged_in && !you.can_moderate && m.user_id !== you.user_id) {
      var report = document.createElement("a"); // a buyer tells the commune's staff about a message
      report.className = "chat-report";
      report.href = "/report?type=chat&id=" + encodeURIComponent(m.id);
      report.textContent = S.report;
      li.appendChild(report);
    }
    document.dispatchEvent(new CustomEvent("live:chat-item", { detail: { li: li, message: m } }));
    var atBottom = chatEl.scrollHeight - chatEl.scrollTop - chatEl.clientHeight < 40;
    chatEl.appendChild(li);
    while (chatEl.children.length > 100) chatEl.firstChild.remove();
    if (atBottom) chatEl.scrollTop = chatEl.scrollHeight;
  }

  socket.on("chat", addChat);
  socket.on("chat_removed", function (data) {
    var li = chatEl && chatEl.querySelector('.chat-item[data-id="' + data.id + '"]');
    if (li) li.remove();
  });
  socket.on("muted", function () {
    var err = byId("chat-error");
    setText(err, S.muted);
    show(err, true);
  });

  if (chatEl) {
    chatEl.addEventListener("click", function (event) {
      var li = event.target.closest(".chat-item");
      if (!li) return;
      if (event.target.closest(".chat-remove")) {
        socket.emit("remove_chat", { message_id: parseInt(li.dataset.id, 10) }, function (ack) {
          if (ack && ack.ok) li.remove(); else if (ack) result(ack.message, true);
        });
      } else if (event.target.closest(".chat-mute") && muteAsk) { // the moderator page asks for how long
        document.dispatchEvent(new CustomEvent("live:mute", { detail: {
          user_id: parseInt(li.dataset.userId, 10), user: li.querySelector(".chat-user").textContent } }));
      } else if (event.target.closest(".chat-mute") && window.confirm(S.muteConfirm)) {
        socket.emit("mute", { user_id: parseInt(li.dataset.userId, 10), minutes: 30 }, function (ack) {
          if (ack && !ack.ok) result(ack.message, true);
        });
      }
    });
  }

  var chatForm = byId("live-chat-form");
  if (chatForm) {
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = byId("chat-text");
      var text = input.value;
      if (!text.trim()) return;
      socket.timeout(8000).emit("chat", { text: text }, function (err, ack) {
        var errorEl = byId("chat-error");
        if (err || !ack.ok) {
          setText(errorEl, err ? S.error : ack.message);
          show(errorEl, true);
          return;
        }
        show(errorEl, false);
        input.value = "";
        addChat(ack.chat);
        // "chốt 2": the answer is hers alone; an order opens the sheet (live-sheet.js), a refusal shows here.
        if (ack.chot) {
          if (ack.chot.ok) document.dispatchEvent(new CustomEvent("live:chot", { detail: ack.chot }));
          else { setText(errorEl, ack.chot.message); show(errorEl, true); }
        }
      });
    });
  }

  // ---- hearts ------------------------------------------------------------------------------------------
  var heart = byId("live-heart");
  if (heart) {
    heart.addEventListener("click", function () {
      socket.emit("heart", {});
      heart.classList.remove("pop");
      void heart.offsetWidth; // restart the animation
      heart.classList.add("pop");
    });
  }
})();
