// Host console: pin, close, phone orders, the orders feed and per-offer totals. Uses the socket of live.js.
(function () {
  "use strict";
  var live = window.ChoPhienLive;
  var root = document.getElementById("live");
  if (!live || !root || root.dataset.page !== "host") return;
  var socket = live.socket, S = live.S;
  var isHost = root.dataset.isHost === "1";
  var offersEl = document.getElementById("host-offers");

  function byId(id) { return document.getElementById(id); }
  function fieldError(id, text) {
    var el = byId(id);
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  // ---- offers: rows kept up to date by "offer" and "host_stats" -----------------------------------------
  function row(id) { return offersEl.querySelector('.host-offer[data-offer-id="' + id + '"]'); }

  function upsertRow(o) {
    var li = row(o.id);
    if (!li) {
      var none = offersEl.querySelector(".host-none");
      if (none) none.remove();
      li = document.createElement("li");
      li.className = "host-offer";
      li.dataset.offerId = o.id;
      var head = document.createElement("div");
      var title = document.createElement("strong");
      title.className = "host-offer-title";
      title.textContent = o.title;
      head.appendChild(title);
      head.appendChild(document.createTextNode(" · " + live.money.format(o.price_vnd) + "/" + live.unitLabel(o.unit)));
      var box = document.createElement("div");
      box.className = "host-offer-figures";
      [["ho-sold", S.soldLabel + " "], ["ho-quantity", " / "], ["ho-remaining", " · " + S.leftLabel + " "]]
        .forEach(function (pair) {
          box.appendChild(document.createTextNode(pair[1]));
          var b = document.createElement("b");
          b.className = pair[0];
          box.appendChild(b);
        });
      box.appendChild(document.createTextNode(" " + live.unitLabel(o.unit)));
      li.appendChild(head);
      li.appendChild(box);
      if (isHost) {
        var close = document.createElement("button");
        close.type = "button";
        close.className = "btn btn-danger ho-close";
        close.textContent = byId("host-offers").dataset.closeLabel || S.closed;
        li.appendChild(close);
      }
      var badge = document.createElement("span");
      badge.className = "badge ho-closed";
      badge.textContent = S.closed;
      badge.hidden = true;
      li.appendChild(badge);
      offersEl.insertBefore(li, offersEl.firstChild);
    }
    figures(li, o.sold, o.quantity, o.remaining, o.status);
    syncPhoneOffers(o);
    syncPinOption(o);
  }

  // The pin form's list of products: its stock follows what pinning takes and closing gives back, and a
  // product on air is not offered twice (the server would refuse it).
  var pinSelect = byId("pin-product");
  var seen = {}; // offer id → status last heard; the stock in the page already counts these offers
  Array.prototype.forEach.call(offersEl.querySelectorAll(".host-offer"), function (li) {
    seen[li.dataset.offerId] = li.dataset.status;
  });

  function syncPinOption(o) {
    var option = pinSelect && pinSelect.querySelector('option[value="' + o.product_id + '"]');
    if (!option) return;
    var before = seen[o.id];
    var stock = parseInt(option.dataset.stock, 10);
    if (before === undefined) stock -= o.status === "open" ? o.quantity : o.sold; // pinned after the page loaded
    else if (before === "open" && o.status === "closed") stock += o.quantity - o.sold; // unsold units came back
    seen[o.id] = o.status;
    option.dataset.stock = stock;
    option.textContent = o.title + " — " + live.fill(S.inStock, { n: live.num.format(stock), unit: option.dataset.unit });
    option.disabled = o.status === "open";
    if (option.disabled && option.selected) {
      var free = pinSelect.querySelector("option:not([disabled])");
      if (free) { pinSelect.value = free.value; pinSelect.dispatchEvent(new Event("change")); }
    }
  }

  function figures(li, sold, quantity, remaining, status) {
    li.querySelector(".ho-sold").textContent = live.num.format(sold);
    li.querySelector(".ho-quantity").textContent = live.num.format(quantity);
    li.querySelector(".ho-remaining").textContent = live.num.format(remaining);
    li.dataset.status = status;
    li.classList.toggle("closed", status === "closed");
    var close = li.querySelector(".ho-close");
    if (close) close.hidden = status === "closed";
    li.querySelector(".ho-closed").hidden = status !== "closed";
  }

  function syncPhoneOffers(o) {
    var select = byId("phone-offer");
    if (!select) return;
    var option = select.querySelector('option[value="' + o.id + '"]');
    if (o.status === "closed") { if (option) option.remove(); return; }
    if (!option) {
      option = document.createElement("option");
      option.value = o.id;
      option.textContent = o.title;
      select.insertBefore(option, select.firstChild);
      select.value = String(o.id);
    }
  }

  socket.on("offer", upsertRow);
  socket.on("host_stats", function (data) {
    data.offers.forEach(function (o) {
      var li = row(o.offer_id);
      if (li) figures(li, o.sold, o.quantity, o.remaining, o.status);
    });
  });
  document.addEventListener("live:snapshot", function (event) {
    event.detail.offers.forEach(upsertRow);
  });

  offersEl.addEventListener("click", function (event) {
    var button = event.target.closest(".ho-close");
    if (!button || !window.confirm(S.confirmClose)) return;
    var li = button.closest(".host-offer");
    button.disabled = true;
    socket.emit("close_offer", { offer_id: parseInt(li.dataset.offerId, 10) }, function (ack) {
      button.disabled = false;
      if (ack.ok) upsertRow(ack.offer); else live.result(ack.message, true);
    });
  });

  // ---- pin ---------------------------------------------------------------------------------------------
  var pinForm = byId("pin-form");
  if (pinForm) {
    var product = byId("pin-product");
    var prefill = function () {
      var option = product.selectedOptions[0];
      if (!option) return;
      byId("pin-price").value = option.dataset.price;
      byId("pin-quantity").max = option.dataset.stock;
    };
    product.addEventListener("change", prefill);
    prefill();
    pinForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = pinForm.querySelector("button[type=submit]");
      submit.disabled = true;
      var minutes = byId("pin-minutes").value.trim(); // sent as typed: the server explains what is wrong
      socket.emit("pin", {
        product_id: parseInt(product.value, 10),
        price_vnd: live.intOrNull(byId("pin-price").value),
        quantity: live.intOrNull(byId("pin-quantity").value),
        per_buyer_limit: live.intOrNull(byId("pin-limit").value),
        minutes: minutes === "" ? null : (live.intOrNull(minutes) === null ? minutes : live.intOrNull(minutes))
      }, function (ack) {
        submit.disabled = false;
        var minutesError = !ack.ok && ack.field === "minutes";
        fieldError("pin-minutes-error", minutesError ? ack.message : "");
        byId("pin-minutes").setAttribute("aria-invalid", minutesError ? "true" : "false");
        if (!ack.ok) { fieldError("pin-error", minutesError ? "" : ack.message); return; }
        fieldError("pin-error", "");
        upsertRow(ack.offer);
        live.result(S.pinned, false);
        byId("pin-quantity").value = "";
        byId("pin-limit").value = "";
        byId("pin-minutes").value = "";
      });
    });
  }

  // ---- phone orders ------------------------------------------------------------------------------------
  // Each refusal is shown under its field; the result under the button, where the host is looking.
  var phoneForm = byId("phone-form");
  var phoneKey = null;
  var PHONE_FIELDS = { phone: "phone-phone", name: "phone-name", display_name: "phone-name", offer_id: "phone-offer",
                       qty: "phone-qty", ship_street: "phone-street", ship_commune: "phone-commune",
                       ship_province: "phone-province", ship_name: "phone-name", ship_phone: "phone-phone",
                       method: "phone-method", confirm_duplicate: "phone-dup" };
  function clearPhoneErrors() {
    Array.prototype.forEach.call(phoneForm.querySelectorAll(".error"), function (el) { el.textContent = ""; el.hidden = true; });
    Array.prototype.forEach.call(phoneForm.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
  }
  function phoneResult(order) {
    var box = byId("phone-result"), D = phoneForm.dataset;
    box.textContent = "";
    var head = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = order.created ? live.fill(D.done, { code: order.code, buyer: order.buyer }) : D.already;
    head.appendChild(strong);
    box.appendChild(head);
    var state = document.createElement("p");
    state.textContent = order.state + " · " + live.money.format(order.total_vnd);
    box.appendChild(state);
    if (order.transfer) {
      var t = document.createElement("p");
      t.textContent = live.fill(D.transfer, { amount: live.money.format(order.transfer.amount_vnd), bank: order.transfer.bank,
                                              account: order.transfer.account, holder: order.transfer.holder,
                                              memo: order.transfer.memo });
      box.appendChild(t);
    }
    var sms = document.createElement("p");
    sms.textContent = live.fill(D.sms, { phone: order.phone }) + " ";
    var a = document.createElement("a");
    a.href = order.url;
    a.textContent = D.open;
    sms.appendChild(a);
    box.appendChild(sms);
    box.hidden = false;
    if (box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
  }
  if (phoneForm) {
    phoneForm.addEventListener("input", function (event) {
      if (event.target.id !== "phone-dup") phoneKey = null; // a changed form is a new order
    });
    phoneForm.addEventListener("submit", function (event) {
      event.preventDefault();
      phoneKey = phoneKey || live.newKey(); // pressing twice sends the same key: one order
      var submit = phoneForm.querySelector("button[type=submit]");
      var method = phoneForm.querySelector('input[name="phone-method"]:checked');
      submit.disabled = true;
      socket.timeout(10000).emit("phone_order", {
        phone: byId("phone-phone").value, name: byId("phone-name").value,
        offer_id: parseInt(byId("phone-offer").value, 10), qty: live.intOrNull(byId("phone-qty").value),
        street: byId("phone-street").value, commune: byId("phone-commune").value,
        province: byId("phone-province").value, method: method ? method.value : null,
        confirm_duplicate: byId("phone-dup").checked, key: phoneKey
      }, function (err, ack) {
        submit.disabled = false;
        clearPhoneErrors();
        if (err || !ack.ok) {
          byId("phone-result").hidden = true;
          var target = !err && PHONE_FIELDS[ack.field];
          if (!err && ack.error === "duplicate") byId("phone-dup-field").hidden = false;
          fieldError(target ? target + "-error" : "phone-error", err ? S.error : ack.message);
          if (target && byId(target)) {
            byId(target).setAttribute("aria-invalid", "true");
            var where = byId(target + "-field") || byId(target);
            if (where.scrollIntoView) where.scrollIntoView({ block: "center" }); // clear of the sticky header
            byId(target).focus({ preventScroll: true });
          } else if (!err) {
            byId("phone-error").scrollIntoView({ block: "center" });
          }
          return;
        }
        phoneResult(ack.order);
        phoneKey = null;
        ["phone-phone", "phone-name", "phone-street", "phone-commune", "phone-province"].forEach(function (id) {
          byId(id).value = "";
        });
        byId("phone-qty").value = "1";
        byId("phone-dup").checked = false;
        byId("phone-dup-field").hidden = true;
        document.dispatchEvent(new CustomEvent("host:orders-changed"));
      });
    });
  }

  // ---- orders as they arrive ---------------------------------------------------------------------------
  socket.on("host_orders", function (data) {
    var list = byId("host-orders"); // replaced by each refresh below: looked up every time
    if (!list) return;
    var none = list.querySelector(".host-none");
    if (none && data.orders.length) none.remove();
    data.orders.forEach(function (o) {
      if (list.querySelector('[data-order-id="' + o.id + '"]')) return;
      var li = document.createElement("li");
      li.dataset.orderId = o.id;
      li.className = "fresh";
      var a = document.createElement("a");
      a.href = "/orders/" + o.id;
      a.textContent = o.code;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" · " + o.buyer + " · " + live.num.format(o.qty) + " " + live.unitLabel(o.unit) + " " +
                                             o.title + " · " + live.money.format(o.total_vnd)));
      list.insertBefore(li, list.firstChild);
    });
    while (list.children.length > 200) list.lastChild.remove();
  });

  // ---- money and each order's state: a light refresh ------------------------------------------------------
  // Payments, the shop accepting cash orders and hold expiry change orders outside the live room, so the
  // totals and states are fetched again from the server (GET /live/<id>/host/orders, rendered there): a few
  // seconds after any order news the room brings, and every 15 s while the page is on screen.
  var moneyEl = byId("host-money");
  if (moneyEl && window.fetch) {
    var timer = null, last = Date.now();
    var refresh = function () {
      timer = null;
      last = Date.now();
      fetch(moneyEl.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) moneyEl.innerHTML = html; })
        .catch(function () { /* offline: the next refresh tries again */ });
    };
    var soon = function () {
      if (!timer) timer = setTimeout(refresh, Math.max(1000, 4000 - (Date.now() - last)));
    };
    socket.on("host_orders", soon);
    socket.on("host_stats", soon);
    document.addEventListener("host:orders-changed", soon);
    setInterval(function () { if (!document.hidden && Date.now() - last > 14000) refresh(); }, 15000);
  }
})();
