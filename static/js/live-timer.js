// Flash deals: the countdown on each offer pinned with one (buyer's page and host console). The server sends
// the seconds left with every offer (not only the end time: a phone's clock may be minutes off); this counts
// down from the moment it arrived. At zero the offer can no longer be ordered here; the server closes it in
// every process and the room hears "offer" closed, which removes it.
(function () {
  "use strict";
  var live = window.ChoPhienLive;
  if (!live) return;
  var S = live.S;
  var timers = {}; // offer id → deadline (performance.now() milliseconds)

  function card(id) {
    return document.querySelector('.offer[data-offer-id="' + id + '"], .host-offer[data-offer-id="' + id + '"]');
  }
  function timerEl(el) {
    var t = el.querySelector(".offer-timer");
    if (!t) {
      t = document.createElement("p");
      t.className = "offer-timer";
      t.setAttribute("role", "timer");
      var title = el.querySelector(".offer-title, .host-offer-title");
      (title && title.parentNode === el ? el : el.firstElementChild || el).appendChild(t);
    }
    return t;
  }
  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function paint(id) {
    var el = card(id);
    if (!el) { delete timers[id]; return; }
    var left = Math.max(0, Math.ceil((timers[id] - performance.now()) / 1000));
    var t = timerEl(el);
    t.hidden = false;
    if (left > 0) {
      t.textContent = live.fill(S.flashLeft, { time: clock(left) });
      t.classList.toggle("offer-timer-last", left <= 60);
    } else {
      t.textContent = S.flashOver;
      el.classList.add("flash-over");
      delete timers[id];
    }
  }
  function set(o) {
    if (o.status === "closed" || typeof o.seconds_left !== "number") { delete timers[o.id]; return; }
    timers[o.id] = performance.now() + o.seconds_left * 1000;
    paint(o.id);
  }
  // Offers rendered by the server before the socket's snapshot arrives.
  Array.prototype.forEach.call(document.querySelectorAll("[data-seconds-left]"), function (el) {
    var n = parseInt(el.dataset.secondsLeft, 10);
    if (!isNaN(n)) set({ id: el.dataset.offerId, seconds_left: n, status: "open" });
  });
  live.socket.on("offer", set); // registered after live.js's own handler: the card exists by now
  document.addEventListener("live:snapshot", function (event) { event.detail.offers.forEach(set); });
  window.setInterval(function () { Object.keys(timers).forEach(paint); }, 1000);
})();
