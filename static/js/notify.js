// The person's own notifications, live: /notify pushes "notification" and "unread"; the badge and a short
// message follow. Text is always set with textContent (never innerHTML).
(function () {
  "use strict";
  if (typeof window.io !== "function") return;
  var socket = window.io("/notify", { transports: ["websocket", "polling"] });
  var navLink = document.querySelector(".bottomnav a[href='/orders']");

  function setBadge(count) {
    if (!navLink) return;
    var badge = navLink.querySelector(".nav-badge");
    if (!count) { if (badge) badge.remove(); return; }
    if (!badge) {
      badge = document.createElement("b");
      badge.className = "nav-badge";
      var label = navLink.querySelector("span") || navLink;
      label.appendChild(document.createTextNode(" "));
      label.appendChild(badge);
    }
    badge.textContent = count > 99 ? "99+" : String(count);
  }

  function toast(n) {
    var box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "status");
    var text = document.createElement(n.link ? "a" : "span");
    if (n.link && n.link.charAt(0) === "/" && n.link.charAt(1) !== "/") text.href = "/notifications/" + n.id;
    text.textContent = n.text;
    box.appendChild(text);
    document.body.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 10000);
    var here = document.querySelector("[data-order-id]");
    if (here && n.link === "/orders/" + here.dataset.orderId) {
      var reload = document.createElement("button");
      reload.type = "button";
      reload.className = "btn";
      reload.textContent = document.documentElement.lang === "en" ? "Refresh" : "Tải lại";
      reload.addEventListener("click", function () { window.location.reload(); });
      box.appendChild(reload);
    }
  }

  socket.on("unread", function (data) { setBadge(data && data.count); });
  socket.on("notification", function (n) {
    if (!n || typeof n.text !== "string") return;
    setBadge(n.unread);
    toast(n);
  });
})();
