// The listing form, enhanced: photos are made smaller on the phone (about 2000 px, JPEG) before they are sent,
// can be re-ordered and removed, and the form is sent by XHR with a progress bar. The server checks everything
// again; without this script the form still works as a plain upload. No innerHTML: user text stays text.
(function () {
  "use strict";
  var form = document.querySelector("form[data-listing-form]");
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.URL || !URL.createObjectURL) return;

  var list = form.querySelector("#photo-list");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[type=file][name=photos]"));
  var progressBox = form.querySelector("[data-progress]");
  var bar = progressBox.querySelector("progress");
  var progressText = progressBox.querySelector("[data-progress-text]");
  var counter = form.querySelector("[data-photo-count]");
  var maxPhotos = parseInt(form.dataset.maxPhotos, 10) || 8;
  var maxEdge = parseInt(form.dataset.maxEdge, 10) || 2000;
  var maxBytes = parseInt(form.dataset.maxBytes, 10) || 20 * 1024 * 1024;
  var KEEP_AS_IS_BYTES = 1500 * 1024; // small enough photos are sent untouched (the server turns them upright)
  var items = []; // {kind: "e", id, src} for photos already saved, {kind: "n", blob, name, src} for new ones
  var existingIds = [];
  var pending = 0; // photos still being made smaller
  var ready = Promise.resolve(); // settles when every chosen photo has been made smaller
  var sending = false;

  function msg(key) { return form.dataset["msg" + key] || ""; }

  list.querySelectorAll("li[data-token]").forEach(function (li) {
    var img = li.querySelector("img");
    var id = li.dataset.token.slice(1);
    existingIds.push(id);
    items.push({ kind: "e", id: id, src: img ? img.getAttribute("src") : "" });
  });
  form.classList.add("enhanced");
  render();

  // ---- making photos smaller in the browser ----
  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file); // anything else goes as it is: the server explains what it accepts
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= KEEP_AS_IS_BYTES) {
        bitmap.close();
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent PNG areas become white, not black, in a JPEG
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.86);
      });
    }).catch(function () { return file; });
  }

  function fileName(file, blob) {
    var base = (file.name || "photo").replace(/\.[^.]*$/, "");
    return blob === file ? (file.name || "photo") : base + ".jpg";
  }

  inputs.forEach(function (input) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = ""; // the same photo can be chosen again; the chosen ones are kept in `items`
      if (!files.length) return;
      clearError("photos");
      pending += files.length;
      status(msg("Processing"));
      ready = files.reduce(function (previous, file) {
        return previous.then(function () {
          return shrink(file).then(function (blob) {
            items.push({ kind: "n", blob: blob, name: fileName(file, blob), src: URL.createObjectURL(blob) });
            pending -= 1;
            render();
          });
        });
      }, ready).then(function () {
        if (!sending) status("");
        if (items.length > maxPhotos) showFieldError("photos", msg("TooMany"));
      });
    });
  });

  // ---- the list of photos: move earlier or later, remove ----
  function button(label, text, disabled, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.disabled = disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function move(index, delta) {
    var target = index + delta;
    if (target < 0 || target >= items.length) return;
    var item = items.splice(index, 1)[0];
    items.splice(target, 0, item);
    render();
  }

  function remove(index) {
    var item = items.splice(index, 1)[0];
    if (item.kind === "n") URL.revokeObjectURL(item.src);
    render();
    if (items.length <= maxPhotos) clearError("photos");
  }

  function render() {
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.className = "photo-item";
      li.dataset.kind = item.kind;
      var img = document.createElement("img");
      img.src = item.src;
      img.alt = "";
      li.appendChild(img);
      if (index === 0) {
        var cover = document.createElement("span");
        cover.className = "photo-cover";
        cover.textContent = msg("Cover");
        li.appendChild(cover);
      }
      var tools = document.createElement("div");
      tools.className = "photo-tools";
      tools.appendChild(button(msg("MoveLeft"), "←", index === 0, function () { move(index, -1); }));
      tools.appendChild(button(msg("MoveRight"), "→", index === items.length - 1, function () { move(index, 1); }));
      tools.appendChild(button(msg("Remove"), "✕", false, function () { remove(index); }));
      li.appendChild(tools);
      list.appendChild(li);
    });
    if (counter) counter.textContent = items.length ? items.length + " / " + maxPhotos : "";
  }

  // ---- messages beside the fields ----
  function status(text, fraction) {
    progressBox.hidden = !text;
    progressText.textContent = text || "";
    if (typeof fraction === "number") bar.value = Math.round(fraction * 100);
    else bar.removeAttribute("value"); // an indeterminate bar while photos are prepared
  }

  function fieldBox(name) {
    if (name === "photos") return form.querySelector("#photos-field");
    var el = form.querySelector("#" + name);
    return el ? el.closest(".field") : null;
  }

  function clearError(name) {
    var box = fieldBox(name);
    if (!box) return;
    box.classList.remove("has-error");
    var old = box.querySelector("#" + name + "-error");
    if (old) old.parentNode.removeChild(old);
    var el = form.querySelector("#" + name);
    if (el && name !== "photos") el.removeAttribute("aria-invalid");
  }

  function showFieldError(name, text) {
    var box = fieldBox(name);
    if (!box) { showFormErrors([text]); return null; }
    clearError(name);
    box.classList.add("has-error");
    var p = document.createElement("p");
    p.className = "error";
    p.id = name + "-error";
    p.textContent = text;
    var el = form.querySelector("#" + name);
    if (el && name !== "photos") {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", p.id);
    }
    if (name === "photos") box.insertBefore(p, progressBox);
    else box.appendChild(p);
    return box;
  }

  function showFormErrors(texts) {
    var box = form.querySelector(".form-errors");
    if (box) box.parentNode.removeChild(box);
    if (!texts.length) return null;
    box = document.createElement("div");
    box.className = "form-errors";
    box.setAttribute("role", "alert");
    texts.forEach(function (t) {
      var p = document.createElement("p");
      p.textContent = t;
      box.appendChild(p);
    });
    var csrf = form.querySelector("input[name=csrf_token]");
    form.insertBefore(box, csrf ? csrf.nextSibling : form.firstChild);
    return box;
  }

  function clearAllErrors() {
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll("p.error").forEach(function (el) { el.parentNode.removeChild(el); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    showFormErrors([]);
  }

  function showErrors(body) {
    clearAllErrors();
    var first = null;
    var errors = (body && body.errors) || {};
    Object.keys(errors).forEach(function (name) {
      var box = showFieldError(name, errors[name].join(" "));
      if (!first) first = box;
    });
    var general = (body && body.form_errors) || [];
    if (!Object.keys(errors).length && !general.length) general = [(body && body.message) || msg("Failed")];
    var top = showFormErrors(general);
    first = top || first;
    if (first) first.scrollIntoView({ block: "center" });
    var details = form.querySelector(".more-fields");
    if (details && details.querySelector(".has-error")) details.open = true;
  }

  // ---- sending ----
  function setBusy(busy) {
    sending = busy;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = busy; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;
    var submitter = event.submitter;
    if (pending > 0) { // the seller tapped before the photos were ready: send as soon as they are
      setBusy(true);
      status(msg("Processing"));
      ready.then(function () { setBusy(false); send(submitter); });
      return;
    }
    send(submitter);
  });

  function send(submitter) {
    if (items.length > maxPhotos) { showFieldError("photos", msg("TooMany")); return; }
    var data = new FormData(form);
    data.delete("photos");
    data.delete("photo_order");
    data.delete("remove_photo");
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var total = 0;
    var n = 0;
    var kept = {};
    items.forEach(function (item) {
      if (item.kind === "e") {
        data.append("photo_order", "e" + item.id);
        kept[item.id] = true;
      } else {
        data.append("photos", item.blob, item.name);
        data.append("photo_order", "n" + n);
        n += 1;
        total += item.blob.size;
      }
    });
    existingIds.forEach(function (id) { if (!kept[id]) data.append("remove_photo", id); });
    if (total > maxBytes) { showFieldError("photos", msg("TooLarge")); return; }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var fraction = e.loaded / e.total;
      status(msg("Uploading").replace("%(percent)s", Math.round(fraction * 100) + "%"), fraction);
      if (fraction >= 1) status(msg("Saving"), 1);
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.ok && body.redirect) {
        status(msg("Saving"), 1);
        window.location.assign(body.redirect);
        return;
      }
      setBusy(false);
      status("");
      showErrors(body);
    });
    xhr.addEventListener("error", function () {
      setBusy(false);
      status("");
      showErrors({ form_errors: [msg("Failed")] });
    });
    setBusy(true);
    status(msg("Uploading").replace("%(percent)s", "0%"), 0);
    xhr.send(data);
  }
})();
