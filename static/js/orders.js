// Order pages: copy the VietQR payload, select every order in a list, print the packing list.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.querySelector(copy.dataset.copy);
      if (!field) return;
      field.select();
      var done = function () {
        var label = copy.textContent;
        copy.textContent = copy.dataset.copied || label;
        window.setTimeout(function () { copy.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var form = all.form || document;
      form.querySelectorAll("input[type=checkbox][name='" + all.dataset.selectAll + "']").forEach(function (box) {
        box.checked = all.checked;
      });
      return;
    }
    var auto = event.target.closest("[data-autosubmit]");
    if (auto && auto.form) auto.form.submit();
  });
})();
