// The watch page's own-video player (market/video, docs/video.md). Signalling goes through the app, WHEP-style
// with the offer coming from the media server: POST whep → Janus's offer + Location; PATCH Location with our
// answer; POST Location/keepalive every 15 s (it also says whether a newer feed replaced ours: the host resumed);
// POST Location/layer on a weak downlink; DELETE when the page goes. Without WebRTC, or with the media server
// down, the stream link below stays and a message says so; an HLS address, when the page has one, is played
// instead. A session streamed only here has no link: until a frame plays it shows "the video starts when the
// seller streams" (#video-waiting), and a browser or media server that cannot play says so at once.
(function () {
  "use strict";
  var root = document.getElementById("video-player");
  if (!root) return;
  var D = root.dataset;
  var video = document.getElementById("video-live");
  var unmute = document.getElementById("video-unmute");
  var note = document.getElementById("video-note");
  var fallbackEl = document.getElementById("video-fallback");
  var waiting = document.getElementById("video-waiting");
  var section = root.closest(".live-video");
  var iceServers = (D.ice || "").split(",").filter(Boolean).map(function (u) { return { urls: u }; });
  var LAYERS = ["high", "medium", "low", "audio"];
  var pc = null, resource = null, feed = null, keepTimer = null, statsTimer = null, retryTimer = null;
  var layer = 0, badChecks = 0, goodChecks = 0, last = null, stalled = 0;

  function say(el, text, ok) {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
    el.classList.toggle("ok", !!ok);
  }
  function showPlayer(on) {
    root.hidden = !on;
    if (waiting) waiting.hidden = on;
    if (section) section.classList.toggle("own-video-on", on);
  }
  function fallback(text) {
    showPlayer(false);
    if (waiting) waiting.hidden = true;
    say(fallbackEl, text);
  }
  function later(fn, ms) {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(fn, ms);
  }

  unmute.addEventListener("click", function () {
    video.muted = false;
    video.play().catch(function () {});
    unmute.hidden = true;
  });

  function playHls() {
    if (!D.hls || !video.canPlayType("application/vnd.apple.mpegurl")) return false;
    video.src = D.hls;
    showPlayer(true);
    video.play().catch(function () {});
    return true;
  }

  // The old subscription is ended (DELETE) whenever the player lets it go: a reconnect, the host stopping, the
  // page leaving (then ``keepalive`` lets the request outlive the page). Before the SQLite gate (market/database.py)
  // a DELETE arriving while the new subscription was being made froze `make run` for a minute.
  function teardown(leaving) {
    window.clearInterval(keepTimer);
    window.clearInterval(statsTimer);
    keepTimer = statsTimer = null;
    last = null;
    layer = 0;
    if (pc) { try { pc.close(); } catch (e) { /* closed already */ } }
    pc = null;
    if (resource) {
      window.fetch(resource, { method: "DELETE", keepalive: !!leaving, credentials: "omit" }).catch(function () {});
    }
    resource = null;
  }

  function waitForIce(peer) {
    return new Promise(function (resolve) {
      if (peer.iceGatheringState === "complete") return resolve();
      var done = function () { if (peer.iceGatheringState === "complete") resolve(); };
      peer.addEventListener("icegatheringstatechange", done);
      window.setTimeout(resolve, 2000); // host candidates come at once; do not wait on a slow STUN server
    });
  }

  function start() {
    teardown();
    window.fetch(D.whep, { method: "POST", credentials: "omit" }).then(function (res) {
      if (res.status === 201) {
        resource = res.headers.get("Location");
        feed = res.headers.get("X-Video-Feed");
        return res.text().then(connect);
      }
      if (res.status === 404) { // not streaming (yet): look again in a while (spread, not in step)
        showPlayer(false);
        say(fallbackEl, "");
        later(start, 15000 + Math.random() * 5000);
      } else if (res.status === 429) {
        later(start, 30000);
      } else { // 503: the media server is down; the page's message says so (the link stays, where there is one)
        if (!playHls()) fallback(D.down);
        later(start, 30000);
      }
      return null;
    }).catch(function () { later(start, 15000); });
  }

  function connect(offer) {
    pc = new RTCPeerConnection({ iceServers: iceServers });
    var stream = new MediaStream();
    pc.ontrack = function (ev) {
      stream.addTrack(ev.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(function () {});
    };
    pc.onconnectionstatechange = function () {
      if (pc && (pc.connectionState === "failed" || pc.connectionState === "closed")) {
        say(note, D.reconnecting);
        later(start, 2000);
      }
    };
    return pc.setRemoteDescription({ type: "offer", sdp: offer })
      .then(function () { return pc.createAnswer(); })
      .then(function (answer) { return pc.setLocalDescription(answer); })
      .then(function () { return waitForIce(pc); })
      .then(function () {
        return window.fetch(resource, { method: "PATCH", credentials: "omit",
          headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
      })
      .then(function (res) {
        if (!res.ok) throw new Error("answer refused");
        showPlayer(true);
        say(fallbackEl, "");
        say(note, "");
        unmute.hidden = !video.muted;
        keepTimer = window.setInterval(keepalive, 15000);
        statsTimer = window.setInterval(checkDownlink, 4000);
      })
      .catch(function () { later(start, 5000); });
  }

  function keepalive() {
    if (!resource) return;
    window.fetch(resource + "/keepalive", { method: "POST", credentials: "omit" }).then(function (res) {
      if (res.status === 410 || res.status === 404) { later(start, 500); return null; }
      return res.ok ? res.json() : null;
    }).then(function (body) {
      if (!body) return;
      if (!body.feed) { showPlayer(false); teardown(); later(start, 15000); } // the host stopped
      else if (!body.current) later(start, 200); // the host resumed from another connection: follow her
    }).catch(function () {});
  }

  function setLayer(index) {
    if (!resource || index === layer) return;
    layer = index;
    window.fetch(resource + "/layer", { method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ layer: LAYERS[layer] }) })
      .catch(function () {});
    say(note, layer === 3 ? D.audio : (layer > 0 ? D.weak : ""));
  }

  // A weak downlink: loss above 5 % or a stuttering picture twice in a row takes the next lower layer (loss
  // alone goes on to sound only); 40 s of good reception climbs one step again. No frame for 12 s reconnects.
  function checkDownlink() {
    if (!pc) return;
    pc.getStats().then(function (stats) {
      var now = null;
      stats.forEach(function (s) {
        if (s.type === "inbound-rtp" && s.kind === "video") now = s;
      });
      if (!now) { // no video stream any more (the publisher left): a stall too
        stalled += 1;
        if (stalled >= 3) { stalled = 0; say(note, D.reconnecting); later(start, 100); }
        return;
      }
      if (last) {
        var received = (now.packetsReceived || 0) - (last.packetsReceived || 0);
        var lost = (now.packetsLost || 0) - (last.packetsLost || 0);
        var frames = (now.framesDecoded || 0) - (last.framesDecoded || 0);
        var loss = received + lost > 0 ? lost / (received + lost) : 0;
        var fps = frames / 4;
        stalled = frames === 0 && layer < 3 ? stalled + 1 : 0;
        if (stalled >= 3) { stalled = 0; say(note, D.reconnecting); later(start, 100); return; }
        // a stuttering picture (a slow phone, a thin downlink) steps down to the lowest layer; only loss goes
        // further, to sound only
        var stutter = layer < 2 && fps < 8;
        if (loss > 0.05 || stutter) { badChecks += 1; goodChecks = 0; }
        else { goodChecks += 1; badChecks = 0; }
        if (badChecks >= 2 && layer < (loss > 0.05 ? 3 : 2)) { badChecks = 0; setLayer(layer + 1); }
        else if (goodChecks >= 10 && layer > 0) { goodChecks = 0; setLayer(layer - 1); }
      }
      last = now;
    }).catch(function () {});
  }

  window.addEventListener("pagehide", function () { teardown(true); });

  if (typeof window.RTCPeerConnection !== "function") {
    if (!playHls() && (D.onAir === "1" || D.noLink === "1")) fallback(D.noWebrtc);
    return;
  }
  start();
})();
