// The replay of an ended live (templates/video/_replay.html): a chapter's time seeks the player and plays.
(function () {
  "use strict";
  var player = document.querySelector("[data-replay-player]");
  var list = document.querySelector("[data-chapters]");
  if (!player || !list) return;
  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek]");
    if (!button) return;
    var at = parseFloat(button.getAttribute("data-seek"));
    if (!isFinite(at)) return;
    player.currentTime = at;
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* the viewer taps play */ });
    player.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
})();
