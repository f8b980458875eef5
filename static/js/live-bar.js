// The pinned offer on screen whatever the video above it: while the first offer card's "Order now" is out of
// view (a tall player, a long description), a bar above the bottom menu shows that offer and its button. The
// bar only mirrors the card (title, price, countdown) and hands the tap to the card's own button, so ordering
// works exactly as from the card.
(function () {
  "use strict";
  var offersEl = document.getElementById("live-offers");
  var bar = document.getElementById("live-bar");
  if (!offersEl || !bar || !("IntersectionObserver" in window)) return;
  var barButton = bar.querySelector(".live-bar-order");
  var watched = null; // the order area of the card the bar stands for
  var onScreen = true;
  var navHeight = parseInt(getComputedStyle(document.documentElement).getPropertyValue("--nav-h"), 10) || 64;
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.target === watched) onScreen = entry.isIntersecting; });
    paint();
  }, { rootMargin: "0px 0px -" + navHeight + "px 0px", threshold: 0.9 });

  function text(card, selector) {
    var el = card.querySelector(selector);
    return el && !el.hidden ? el.textContent.trim() : "";
  }
  function orderable(card) {
    var buy = card.querySelector(".offer-buy");
    return buy && !buy.hidden && !card.classList.contains("flash-over");
  }
  function paint() {
    var card = offersEl.querySelector(".offer");
    var target = card ? card.querySelector(".offer-buy") : null;
    if (target !== watched) {
      if (watched) seen.unobserve(watched);
      watched = target;
      onScreen = true; // until the observer says otherwise (it reports at once)
      if (watched) seen.observe(watched);
    }
    if (!card || !orderable(card) || onScreen) { bar.hidden = true; return; }
    bar.querySelector(".live-bar-title").textContent = text(card, ".offer-title");
    bar.querySelector(".live-bar-price").textContent = text(card, ".offer-price");
    bar.querySelector(".live-bar-timer").textContent = text(card, ".offer-timer");
    bar.hidden = false;
  }
  barButton.addEventListener("click", function () {
    var card = offersEl.querySelector(".offer");
    if (!card) return;
    var live = window.ChoPhienLive;
    if (!(live && live.openSheet)) card.scrollIntoView({ block: "center" }); // the answer shows by the card
    card.querySelector(".offer-order").click(); // the checkout sheet opens over the page, where it is
  });
  new MutationObserver(paint).observe(offersEl, { subtree: true, childList: true, attributes: true,
                                                   characterData: true });
  paint();
})();
