// Staff area: on a phone the tab strip scrolls sideways; bring the current tab into view.
(function () {
  "use strict";
  var active = document.querySelector(".staff-tabs a.active");
  if (active && active.scrollIntoView) active.scrollIntoView({ block: "nearest", inline: "center" });
})();
