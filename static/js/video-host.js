// The host console's "stream from this phone" panel (market/video, docs/video.md).
// 1. "Turn on the camera": the back camera, upright, with the microphone; a preview; then an uplink check
//    (a 256 kB upload to the app, timed) that sets the starting quality.
// 2. "Start": a publish token from the app (her cookie + CSRF), then WHIP through the app: POST the offer with
//    the token → the answer and a Location; POST Location/keepalive every 20 s; DELETE Location to stop.
//    Video goes out as three simulcast layers (h, m, l) that viewers pick from.
// 3. A weak uplink (getStats every 3 s: loss, the available bitrate, the encoder held back by bandwidth) turns
//    the top layer off, then the middle one, then the video (sound only) instead of stopping, and back up when
//    the connection recovers; the host reads a banner. A connection that fails publishes again at once (same
//    session; the viewers follow the new feed).
// 4. 409 (already streaming from another phone or tab) offers "Stream from this phone", which replaces it.
(function () {
  "use strict";
  var panel = document.getElementById("video-host");
  if (!panel) return;
  var D = panel.dataset;
  var preview = document.getElementById("video-preview");
  var previewBox = panel.querySelector(".video-host-preview");
  var checkEl = document.getElementById("video-host-check");
  var statusEl = document.getElementById("video-host-status");
  var cameraBtn = document.getElementById("video-camera");
  var startBtn = document.getElementById("video-start");
  var replaceBtn = document.getElementById("video-replace");
  var stopBtn = document.getElementById("video-stop");
  var media = null, pc = null, resource = null, keepTimer = null, statsTimer = null;
  var level = 0, startLevel = 0, bad = 0, good = 0, stopping = false, restarting = false, startedAt = 0;
  // Simulcast layers, highest first (Janus's order); a portrait 720×1280 camera gives 720p, 360p and 180p.
  var ENCODINGS = [
    { rid: "h", active: true, maxBitrate: 1200000 },
    { rid: "m", active: true, maxBitrate: 450000, scaleResolutionDownBy: 2 },
    { rid: "l", active: true, maxBitrate: 150000, scaleResolutionDownBy: 4 }
  ];

  function fill(pattern, values) {
    return String(pattern).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }
  function say(el, text, ok) {
    el.textContent = text || "";
    el.hidden = !text;
    el.classList.toggle("ok", !!ok);
  }
  function show(el, on) { el.hidden = !on; }

  if (typeof window.RTCPeerConnection !== "function" || !navigator.mediaDevices) {
    say(statusEl, D.noWebrtc);
    cameraBtn.disabled = true;
    return;
  }

  function camera() {
    return navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 720 }, height: { ideal: 1280 },
        aspectRatio: { ideal: 9 / 16 }, frameRate: { ideal: 30, max: 30 } },
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }
    });
  }

  function uplinkCheck() {
    say(checkEl, D.checking);
    var bytes = new Uint8Array(256 * 1024);
    window.crypto.getRandomValues(bytes.subarray(0, 65536)); // not compressible by a proxy
    var t0 = performance.now();
    return window.fetch(D.probeUrl, { method: "POST", credentials: "same-origin", body: bytes,
      headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": D.csrf } })
      .then(function (res) {
        if (!res.ok) throw new Error("probe");
        var kbps = Math.round(bytes.length * 8 / Math.max(1, performance.now() - t0));
        if (kbps >= 1500) { startLevel = 0; say(checkEl, fill(D.checkGood, { kbps: kbps }), true); }
        else if (kbps >= 500) { startLevel = 1; say(checkEl, fill(D.checkFair, { kbps: kbps })); }
        else { startLevel = 2; say(checkEl, fill(D.checkWeak, { kbps: kbps })); }
        panel.dataset.uplinkKbps = String(kbps);
      })
      .catch(function () { say(checkEl, D.checkFailed); });
  }

  cameraBtn.addEventListener("click", function () {
    cameraBtn.disabled = true;
    camera().then(function (stream) {
      media = stream;
      preview.srcObject = stream;
      show(previewBox, true);
      show(cameraBtn, false);
      return uplinkCheck();
    }).then(function () {
      show(startBtn, true);
    }).catch(function () {
      cameraBtn.disabled = false;
      say(statusEl, D.noCamera);
    });
  });

  function waitForIce(peer) {
    return new Promise(function (resolve) {
      if (peer.iceGatheringState === "complete") return resolve();
      peer.addEventListener("icegatheringstatechange", function () {
        if (peer.iceGatheringState === "complete") resolve();
      });
      window.setTimeout(resolve, 2500);
    });
  }

  function token() {
    var body = new URLSearchParams({ csrf_token: D.csrf });
    return window.fetch(D.tokenUrl, { method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": D.csrf } })
      .then(function (res) { return res.json().then(function (b) { if (!res.ok) throw b; return b; }); });
  }

  function closePeer() {
    window.clearInterval(keepTimer);
    window.clearInterval(statsTimer);
    keepTimer = statsTimer = null;
    if (pc) { pc.onconnectionstatechange = null; try { pc.close(); } catch (e) { /* closed */ } }
    pc = null;
  }

  function publish(replace) {
    say(statusEl, D.starting);
    show(startBtn, false);
    show(replaceBtn, false);
    closePeer();
    return token().then(function (t) {
      pc = new RTCPeerConnection({ iceServers: t.ice_servers || [] });
      var audio = media.getAudioTracks()[0], cam = media.getVideoTracks()[0];
      if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [media] });
      if (cam) pc.addTransceiver(cam, { direction: "sendonly", streams: [media], sendEncodings: ENCODINGS });
      pc.onconnectionstatechange = function () {
        if (!pc || stopping) return;
        if (pc.connectionState === "failed" || pc.connectionState === "disconnected") reconnect();
      };
      return pc.createOffer()
        .then(function (offer) { return pc.setLocalDescription(offer); })
        .then(function () { return waitForIce(pc); })
        .then(function () {
          return window.fetch(t.whip_url + (replace ? "?replace=1" : ""), { method: "POST", credentials: "omit",
            headers: { "Content-Type": "application/sdp", Authorization: "Bearer " + t.token },
            body: pc.localDescription.sdp });
        });
    }).then(function (res) {
      if (res.status !== 201) {
        return res.json().catch(function () { return {}; }).then(function (b) { b.status = res.status; throw b; });
      }
      resource = res.headers.get("Location");
      return res.text().then(function (answer) { return pc.setRemoteDescription({ type: "answer", sdp: answer }); });
    }).then(function () {
      restarting = false;
      panel.dataset.onAir = "1";
      say(statusEl, D.live, true);
      show(stopBtn, true);
      keepTimer = window.setInterval(keepalive, 20000);
      statsTimer = window.setInterval(checkUplink, 3000);
      startedAt = performance.now();
      level = -1;
      setLevel(startLevel);
    }).catch(function (err) {
      closePeer();
      restarting = false;
      if (err && err.status === 409 && err.error === "publisher_exists") {
        say(statusEl, err.message);
        show(replaceBtn, true);
      } else {
        say(statusEl, fill(D.failed, { message: (err && err.message) || "" }));
        show(startBtn, true);
      }
    });
  }

  // The connection failed: publish again (replacing our own old publish) while it is still the current one;
  // when another phone or tab took the stream over (410), stop here instead of taking it back.
  function reconnect() {
    if (restarting || !resource) return;
    restarting = true;
    say(statusEl, D.reconnecting);
    window.fetch(resource + "/keepalive", { method: "POST", credentials: "omit" }).then(function (res) {
      if (res.status === 410 || res.status === 404) { restarting = false; replaced(); return; }
      window.setTimeout(function () { publish(true); }, 1000);
    }).catch(function () {
      restarting = false;
      window.setTimeout(reconnect, 3000); // no network at all yet
    });
  }

  function replaced() {
    closePeer();
    resource = null;
    panel.dataset.onAir = "0";
    show(stopBtn, false);
    show(startBtn, true);
    say(statusEl, D.replaced);
  }

  function keepalive() {
    if (!resource) return;
    window.fetch(resource + "/keepalive", { method: "POST", credentials: "omit" }).then(function (res) {
      if (res.status === 410 || res.status === 404) replaced();
    }).catch(function () {});
  }

  // level 0: three layers; 1: no top layer; 2: the lowest only; 3: sound only.
  function setLevel(next) {
    if (!pc || next === level) return;
    level = next;
    pc.getSenders().forEach(function (sender) {
      if (!sender.track || sender.track.kind !== "video") return;
      var p = sender.getParameters();
      if (!p.encodings || !p.encodings.length) return;
      p.encodings.forEach(function (e, i) {
        var rank = e.rid === "h" ? 0 : e.rid === "m" ? 1 : e.rid === "l" ? 2 : i;
        e.active = level < 3 && rank >= level;
      });
      sender.setParameters(p).catch(function () {});
    });
    panel.dataset.level = String(level);
    say(statusEl, level >= 3 ? D.audio : level > startLevel ? D.weak : D.live, level <= startLevel);
  }

  function checkUplink() {
    if (!pc) return;
    pc.getStats().then(function (stats) {
      var lostFraction = 0, available = null, limited = false;
      stats.forEach(function (s) {
        if (s.type === "outbound-rtp" && s.kind === "video") {
          if (s.qualityLimitationReason === "bandwidth") limited = true;
        }
        if (s.type === "remote-inbound-rtp" && s.kind === "video") {
          lostFraction = Math.max(lostFraction, s.fractionLost || 0);
        }
        if (s.type === "candidate-pair" && s.nominated && s.availableOutgoingBitrate) {
          available = s.availableOutgoingBitrate;
        }
      });
      // The first seconds are the encoder's ramp-up (limited by bandwidth while the estimate grows): not weak.
      if (performance.now() - startedAt < 10000) return;
      var weak = lostFraction > 0.08 || (available !== null && available < 300000 && limited);
      if (weak) { bad += 1; good = 0; } else { good += 1; bad = 0; }
      panel.dataset.bitrate = available === null ? "" : String(Math.round(available / 1000));
      if (bad >= 2 && level < 3) { bad = 0; setLevel(level + 1); }
      else if (good >= 7 && level > startLevel) { good = 0; setLevel(level - 1); }
    }).catch(function () {});
  }

  function stop() {
    stopping = true;
    var where = resource;
    resource = null;
    closePeer();
    if (where) window.fetch(where, { method: "DELETE", credentials: "omit", keepalive: true }).catch(function () {});
    panel.dataset.onAir = "0";
    show(stopBtn, false);
    show(startBtn, !!media);
    say(statusEl, D.stopped);
    stopping = false;
  }

  startBtn.addEventListener("click", function () { publish(false); });
  replaceBtn.addEventListener("click", function () { publish(true); });
  stopBtn.addEventListener("click", stop);
  window.addEventListener("pagehide", function () {
    if (resource) window.fetch(resource, { method: "DELETE", credentials: "omit", keepalive: true });
  });
})();
