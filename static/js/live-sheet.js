// The checkout sheet of the live page (templates/live/_sheet.html, market/live/sheet.py): "Order now" opens it
// over the live (video, chat and counters keep running) with the quantity, the saved address and the last way
// to pay already chosen; "Confirm" reserves and completes the order in one request. Orders reserved but not
// finished (by "chốt" in the chat, or a sheet closed early) are listed on the page with what is missing and a
// countdown; tapping one reopens the sheet. User text is inserted with textContent only.
(function () {
  "use strict";
  var live = window.ChoPhienLive;
  var sheet = document.getElementById("sheet");
  var dataEl = document.getElementById("sheet-data");
  if (!live || !sheet || !dataEl) return;

  var data = JSON.parse(dataEl.textContent);
  var T = document.getElementById("sheet-strings").dataset;
  var form = document.getElementById("sheet-form");
  var panel = sheet.querySelector(".sheet-panel");
  var resultEl = sheet.querySelector(".sheet-result");
  var confirmBtn = form.querySelector(".sheet-confirm");
  var qtyInput = document.getElementById("sheet-qty");
  var holdEl = sheet.querySelector(".sheet-hold");
  var pendingEl = document.getElementById("live-pending");
  var state = { price: 0, unit: "", max: 1, busy: false, order: null };
  var pending = {}; // order id → order (as sheet.order_json gives it)

  function $(sel) { return sheet.querySelector(sel); }
  function show(el, on) { if (el) el.hidden = !on; }
  function setText(el, text) { if (el) el.textContent = text; }
  function field(name) { return form.elements[name]; }

  // ---- ways to pay: radios built from the shop's methods, the last one used chosen ---------------------
  var list = $(".sheet-method-list");
  data.methods.forEach(function (m) {
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "radio"; input.name = "method"; input.value = m.name;
    input.checked = m.name === data.method;
    var text = document.createElement("span");
    var b = document.createElement("b"); b.textContent = m.label;
    var hint = document.createElement("span"); hint.className = "sheet-method-hint"; hint.textContent = m.hint;
    text.appendChild(b); text.appendChild(hint);
    label.appendChild(input); label.appendChild(text);
    list.appendChild(label);
  });

  // ---- the saved address: a summary with "Change"; a new buyer types it --------------------------------
  function fillAddress(a) {
    ["ship_name", "ship_phone", "ship_street", "ship_commune", "ship_province"].forEach(function (k) {
      if (a && a[k] != null) field(k).value = a[k];
    });
    var saved = !!(a && a.ship_name && a.ship_street);
    if (saved) {
      setText($(".sheet-addr-summary"), a.ship_name + " · " + a.ship_phone + " — " +
        [a.ship_street, a.ship_commune, a.ship_province].filter(Boolean).join(", "));
    }
    show($(".sheet-saved"), saved);
    show($(".sheet-addr-fields"), !saved);
  }
  fillAddress(data.address);
  $(".sheet-addr-change").addEventListener("click", function () {
    show($(".sheet-saved"), false);
    show($(".sheet-addr-fields"), true);
    field("ship_name").focus();
  });

  // ---- opening and closing -----------------------------------------------------------------------------
  function clearErrors() {
    Array.prototype.forEach.call(sheet.querySelectorAll(".error"), function (el) { el.textContent = ""; el.hidden = true; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
  }
  function openSheet() {
    clearErrors();
    show(form, true);
    show(resultEl, false);
    confirmBtn.disabled = false;
    confirmBtn.textContent = T.confirm;
    sheet.hidden = false;
    document.documentElement.classList.add("sheet-open");
    panel.focus();
  }
  function close() {
    sheet.hidden = true;
    document.documentElement.classList.remove("sheet-open");
    state.order = null;
  }
  sheet.addEventListener("click", function (event) {
    if (event.target.closest("[data-sheet-close]")) close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !sheet.hidden) close();
  });

  function updateTotal() {
    var qty = state.order ? state.order.qty : (parseInt(qtyInput.value, 10) || 0);
    var goods = state.order ? state.order.qty * state.order.unit_price_vnd : qty * state.price;
    var fee = parseInt(field("shown_fee").value, 10) || 0; // the shipping the server quoted for her address
    setText($(".sheet-total-value"), live.money.format(goods + fee));
    setText($(".sheet-fee"), fee ? live.fill(T.fee, { fee: live.money.format(fee) }) : "");
    show($(".sheet-fee"), fee > 0);
  }

  // A buyer who is not logged in stays in the sheet: her phone and name, a code by SMS, her address.
  function accountMode(on) {
    show($(".sheet-account"), on);
    show(form.querySelector('[data-field="ship_name"]'), !on);
    show(form.querySelector('[data-field="ship_phone"]'), !on);
    if (on) { show($(".sheet-saved"), false); show($(".sheet-addr-fields"), true); }
  }
  $(".sheet-send-code").addEventListener("click", function (event) {
    var button = event.currentTarget;
    clearErrors();
    button.disabled = true;
    var body = new URLSearchParams({ csrf_token: field("csrf_token").value, phone: field("phone").value });
    window.fetch(button.dataset.url, { method: "POST", body: body, credentials: "same-origin",
                                       headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (ack) {
        if (!ack.ok) { if (!fieldError(ack.field || "phone", ack.message)) refused(ack); return; }
        setText($(".sheet-code-sent"), ack.message);
        show($(".sheet-code"), true);
        field("code").focus();
      })
      .catch(function () { refused({ message: T.offline }); })
      .then(function () { button.disabled = false; });
  });
  function signedIn() {
    if (data.logged_in) return;
    data.logged_in = true;
    accountMode(false);
    show(document.getElementById("live-login"), false);
    // the live socket was opened anonymously: open it again with her new session cookie
    live.socket.disconnect();
    live.socket.connect();
  }

  // "Order now" on an offer card (live.js hands the tap over): a new order of this offer.
  live.openSheet = function (card) {
    accountMode(!data.logged_in);
    state.order = null;
    state.price = parseInt(card.dataset.price, 10) || 0;
    state.unit = card.dataset.unit || "";
    var remaining = parseInt(card.dataset.remaining, 10) || 0;
    state.max = Math.max(1, Math.min(parseInt(card.dataset.limit, 10) || 1, remaining || 1));
    field("offer_id").value = card.dataset.offerId;
    field("key").value = live.newKey(); // one key per opening: a double tap or a retry finds the same order
    field("order_id").value = "";
    field("shown_fee").value = "0";
    setText($(".sheet-title"), card.dataset.title || "");
    setText($(".sheet-number"), card.dataset.number ? "#" + card.dataset.number : "");
    setText($(".sheet-price"), live.money.format(state.price) + " / " + state.unit);
    qtyInput.max = state.max;
    qtyInput.value = Math.min(state.max, parseInt(card.querySelector(".offer-qty").value, 10) || 1);
    show($(".sheet-qty"), true);
    show($(".sheet-qty-fixed"), false);
    show(holdEl, false);
    updateTotal();
    openSheet();
    return true;
  };

  // An order already reserved (chốt, a sheet closed early, the reminder's link): give it what it misses.
  function openOrder(order) {
    state.order = order;
    field("order_id").value = order.id;
    field("offer_id").value = "";
    field("key").value = "";
    field("shown_fee").value = "0";
    setText($(".sheet-title"), order.title);
    setText($(".sheet-number"), "");
    setText($(".sheet-price"), live.money.format(order.unit_price_vnd) + " / " + live.unitLabel(order.unit));
    show($(".sheet-qty"), false);
    setText($(".sheet-qty-fixed"), live.fill(T.qtyFixed, { qty: live.num.format(order.qty), unit: live.unitLabel(order.unit) }));
    show($(".sheet-qty-fixed"), true);
    holdLine(holdEl, order);
    if (order.method) {
      var radio = form.querySelector('input[name=method][value="' + order.method + '"]');
      if (radio) radio.checked = true;
    }
    updateTotal();
    openSheet();
  }

  sheet.querySelector(".sheet-qty").addEventListener("click", function (event) {
    var qty = parseInt(qtyInput.value, 10) || 1;
    if (event.target.closest(".step-down")) qtyInput.value = Math.max(1, qty - 1);
    else if (event.target.closest(".step-up")) qtyInput.value = Math.min(state.max, qty + 1);
    updateTotal();
  });
  qtyInput.addEventListener("input", updateTotal);

  // ---- confirming ----------------------------------------------------------------------------------------
  function fieldError(name, message) {
    if (!data.logged_in && (name === "ship_name" || name === "ship_phone")) name = name === "ship_name" ? "name" : "phone";
    var input = field(name);
    var err = document.getElementById("sheet-" + (name === "method" ? "method" : name) + "-error");
    if (!err) return false;
    if (/^ship_/.test(name)) { show($(".sheet-saved"), false); show($(".sheet-addr-fields"), true); }
    if (name === "qty" && state.order) return false;
    err.textContent = message;
    err.hidden = false;
    if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.busy) return; // a double tap: the first request is on its way
    state.busy = true;
    clearErrors();
    confirmBtn.disabled = true;
    confirmBtn.textContent = T.sending;
    var body = new URLSearchParams(new FormData(form));
    window.fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                                headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (ack) { if (ack.ok) done(ack); else refused(ack); })
      .catch(function () { refused({ message: T.offline }); })
      .then(function () {
        state.busy = false;
        confirmBtn.disabled = false;
        confirmBtn.textContent = T.confirm;
      });
  });

  function done(ack) {
    if (ack.signed_in) signedIn();
    forget(ack.order.id);
    show(form, false);
    var pay = $(".sheet-payment");
    pay.innerHTML = ack.payment_html; // rendered by our own template (escaped there), not user text
    $(".sheet-order-link").href = ack.order.url;
    show(resultEl, true);
    panel.scrollTop = 0;
    panel.focus();
  }

  function refused(ack) {
    if (ack.signed_in) signedIn();
    if (ack.error === "not_logged_in" && !data.logged_in && !sheet.hidden) { fieldError("code", T.needCode); return; }
    if (ack.error === "fee_changed" && typeof ack.shipping_vnd === "number") {
      field("shown_fee").value = ack.shipping_vnd; // shown now: the next "Confirm" accepts this total
      ack.field = null;
    }
    if (ack.order) { // units reserved and still held: what follows completes that same order
      remember(ack.order);
      state.order = ack.order;
      field("order_id").value = ack.order.id;
      show($(".sheet-qty"), false);
      setText($(".sheet-qty-fixed"), live.fill(T.qtyFixed, { qty: live.num.format(ack.order.qty), unit: live.unitLabel(ack.order.unit) }));
      show($(".sheet-qty-fixed"), true);
      holdLine(holdEl, ack.order);
      updateTotal();
    }
    if (ack.error === "not_logged_in") { close(); show(document.getElementById("live-login"), true); return; }
    if (!(ack.field && fieldError(ack.field, ack.message))) {
      var err = $(".sheet-error");
      err.textContent = ack.message || T.error;
      err.hidden = false;
    }
  }

  // ---- orders still waiting on the buyer: what is missing, until when, a countdown -----------------------
  function left(until) {
    var ms = new Date(until).getTime() - Date.now();
    if (ms <= 0) return null;
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  function holdLine(el, order) {
    el.textContent = "";
    if (!order.missing_text) { show(el, false); return; }
    var text = document.createElement("span");
    text.textContent = order.missing_text + " ";
    var count = document.createElement("span");
    count.className = "pending-left";
    count.dataset.until = order.hold_expires_at;
    el.appendChild(text);
    el.appendChild(count);
    el.classList.remove("lapsed");
    show(el, true);
    tick();
  }
  function remember(order) {
    pending[order.id] = order;
    var li = pendingEl && pendingEl.querySelector('li[data-order-id="' + order.id + '"]');
    if (!pendingEl) return;
    if (!li) {
      li = document.createElement("li");
      li.dataset.orderId = order.id;
      pendingEl.insertBefore(li, pendingEl.firstChild);
    }
    li.textContent = "";
    var p = document.createElement("p");
    var what = document.createElement("b");
    what.textContent = live.num.format(order.qty) + " " + live.unitLabel(order.unit) + " " + order.title + " — " +
      live.money.format(order.total_vnd);
    p.appendChild(what);
    var hold = document.createElement("p");
    holdLine(hold, order);
    hold.hidden = false;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary pending-finish";
    button.textContent = T.finish;
    li.appendChild(p);
    li.appendChild(hold);
    li.appendChild(button);
  }
  function forget(id) {
    delete pending[id];
    var li = pendingEl && pendingEl.querySelector('li[data-order-id="' + id + '"]');
    if (li) li.remove();
  }
  if (pendingEl) {
    pendingEl.addEventListener("click", function (event) {
      var li = event.target.closest("li[data-order-id]");
      if (li && event.target.closest(".pending-finish") && pending[li.dataset.orderId]) openOrder(pending[li.dataset.orderId]);
    });
  }
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".pending-left[data-until]"), function (el) {
      var l = left(el.dataset.until);
      if (l) { el.textContent = "(" + live.fill(T.left, { time: l }) + ")"; return; }
      el.textContent = T.lapsed;
      var box = el.closest("li, .sheet-hold");
      if (box && box.classList.contains("sheet-hold")) box.classList.add("lapsed");
      var b = box && box.querySelector(".pending-finish");
      if (b) b.disabled = true;
    });
  }
  window.setInterval(tick, 1000);

  data.pending.forEach(remember);
  document.addEventListener("live:chot", function (event) {
    var order = event.detail.order;
    if (!order) return;
    remember(order);
    openOrder(order);
  });
  // The reminder's link (/live/<id>?order=<order id>) opens the sheet on that order.
  var wanted = new URLSearchParams(window.location.search).get("order");
  if (wanted && pending[wanted]) openOrder(pending[wanted]);
})();
