// Staff moderator view of a live session: live.js joins the room over the /live protocol and shows the chat;
// this adds the mute panel (how many minutes), and a link from each message to its writer's account page.
// User text goes in with textContent only.
(function () {
  "use strict";
  var live = window.ChoPhienLive;
  var root = document.getElementById("live");
  if (!live || !root || root.dataset.page !== "moderate") return;
  var socket = live.socket, S = live.S;
  var panel = document.getElementById("mute-panel");
  var form = document.getElementById("mute-form");
  var minutes = document.getElementById("mute-minutes");
  var errorEl = document.getElementById("mute-error");
  var who = document.getElementById("mute-who");
  var userUrl = root.dataset.userUrl || "";
  var target = null;

  function showError(text) {
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
    minutes.setAttribute("aria-invalid", text ? "true" : "false");
  }

  document.addEventListener("live:mute", function (event) {
    target = event.detail;
    who.textContent = target.user;
    showError("");
    panel.hidden = false;
    panel.scrollIntoView({ behavior: "smooth", block: "center" });
    minutes.focus();
  });

  panel.addEventListener("click", function (event) {
    var quick = event.target.closest("[data-minutes]");
    if (quick) { minutes.value = quick.dataset.minutes; showError(""); }
  });
  document.getElementById("mute-cancel").addEventListener("click", function () { panel.hidden = true; target = null; });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!target) return;
    var submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    // The server checks the bounds (1 minute to 7 days) and answers in the moderator's language.
    socket.timeout(8000).emit("mute", { user_id: target.user_id, minutes: live.intOrNull(minutes.value) }, function (err, ack) {
      submit.disabled = false;
      if (err || !ack.ok) { showError(err ? S.error : ack.message); return; }
      // In the commune's time, like every time the pages show (not the time zone of the moderator's laptop).
      var until = new Date(ack.until).toLocaleTimeString(root.dataset.locale === "en" ? "en-US" : "vi-VN",
                                                           { hour: "2-digit", minute: "2-digit",
                                                             timeZone: root.dataset.timeZone || "Asia/Ho_Chi_Minh" });
      live.result(live.fill(S.mutedUntil, { user: target.user, until: until }), false);
      panel.hidden = true;
      target = null;
    });
  });

  // Each message written by someone else links to their account (history, ban) in the staff area.
  document.addEventListener("live:chat-item", function (event) {
    var m = event.detail.message, li = event.detail.li;
    if (!userUrl || m.host || !m.user_id || !li.querySelector(".chat-tools")) return;
    var a = document.createElement("a");
    a.className = "btn-link chat-account";
    a.href = userUrl.replace(/0$/, String(m.user_id));
    a.textContent = S.account;
    li.querySelector(".chat-tools").appendChild(a);
  });

  socket.on("chat_removed", function () { live.result(S.removed, false); });
})();
