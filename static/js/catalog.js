// Product page: a "Share" button that opens the phone's share sheet (Zalo, Messenger …) or copies the link.
(function () {
  "use strict";
  document.querySelectorAll("[data-share]").forEach(function (button) {
    var canShare = !!navigator.share;
    var canCopy = !!(navigator.clipboard && navigator.clipboard.writeText);
    if (!canShare && !canCopy) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var url = button.dataset.shareUrl;
      if (canShare) {
        navigator.share({ title: button.dataset.shareTitle, url: url }).catch(function () {});
        return;
      }
      navigator.clipboard.writeText(url).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  });
})();
