// Share buttons (product, brand and live pages): the phone's share sheet (Zalo, Messenger …) where there is
// one, else the link copied. A button marked data-share-only stays hidden without a share sheet (the page
// has its own "copy the link" button, data-copy-link).
(function () {
  "use strict";
  var canShare = !!navigator.share;
  var canCopy = !!(navigator.clipboard && navigator.clipboard.writeText);
  function copy(button) {
    navigator.clipboard.writeText(button.dataset.shareUrl).then(function () {
      button.textContent = button.dataset.copied;
    });
  }
  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!canShare && (!canCopy || "shareOnly" in button.dataset)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (canShare) {
        navigator.share({ title: button.dataset.shareTitle, url: button.dataset.shareUrl }).catch(function () {});
        return;
      }
      copy(button);
    });
  });
  document.querySelectorAll("[data-copy-link]").forEach(function (button) {
    if (!canCopy) return;
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
})();
