// Seedance Studio behaviour. Loaded as a static file: the pages allow no inline scripts.
// Every text shown here comes from data-msg-* attributes rendered (and translated) by the templates.
(function () {
  "use strict";

  // "{name}" placeholders, filled from values.
  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // --- Prompt character count ------------------------------------------------------------
  // Counted in code points, as the server counts: one Chinese character is one character.
  function updateCount(textarea) {
    var out = document.querySelector('[data-char-count-for="' + textarea.id + '"]');
    if (!out) return;
    var max = parseInt(textarea.getAttribute("maxlength"), 10) || 2000;
    var used = Array.from(textarea.value).length;
    out.textContent = fill(out.getAttribute("data-msg-count") || "{used} / {max}", { used: used, max: max });
    out.classList.toggle("over", used > max);
  }

  // --- Frame checks and previews ----------------------------------------------------------
  function msg(form, name, values) {
    return fill(form.getAttribute("data-msg-" + name), values || {});
  }

  function fieldBox(input) {
    return input.closest(".frame-field, .field") || input.parentNode;
  }

  function describe(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  // One note of a kind ("error" or "warning") per field, linked to its input for screen readers.
  function setNote(input, kind, text) {
    var box = fieldBox(input);
    var id = input.id + "-client-" + kind;
    var note = document.getElementById(id);
    if (!text) {
      if (note) note.remove();
      describe(input, id, false);
      if (kind === "error") input.removeAttribute("aria-invalid");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = kind === "error" ? "error client-error" : "warning client-warning";
      note.setAttribute("role", kind === "error" ? "alert" : "status");
      box.appendChild(note);
    }
    note.textContent = text;
    describe(input, id, true);
    if (kind === "error") {
      input.setAttribute("aria-invalid", "true");
      box.classList.add("has-error");
    }
  }

  function clearFrame(input) {
    var box = fieldBox(input);
    // Errors rendered by the server were about the previous file.
    box.querySelectorAll(".error:not(.client-error)").forEach(function (el) { el.remove(); });
    box.classList.remove("has-error");
    setNote(input, "error", "");
    setNote(input, "warning", "");
    box.querySelectorAll(".frame-preview, [data-remove-frame]").forEach(function (el) { el.remove(); });
    var zone = box.querySelector(".drop-zone");
    if (zone) zone.classList.remove("has-image");
    delete input.dataset.width;
    delete input.dataset.height;
  }

  function chosenRatio(form) {
    var select = form.querySelector('[name="aspect_ratio"]:checked') || form.querySelector('select[name="aspect_ratio"]');
    if (!select || !/^\d+:\d+$/.test(select.value)) return null;
    var parts = select.value.split(":");
    return { label: select.value, value: parseInt(parts[0], 10) / parseInt(parts[1], 10) };
  }

  function checkRatioMatch(form, input) {
    var w = parseInt(input.dataset.width, 10);
    var h = parseInt(input.dataset.height, 10);
    var chosen = chosenRatio(form);
    if (!w || !h || !chosen || input.getAttribute("aria-invalid") === "true") {
      setNote(input, "warning", "");
      return;
    }
    var off = Math.abs(w / h - chosen.value) / chosen.value;
    setNote(input, "warning", off > 0.05 ? msg(form, "ratio-mismatch", { w: w, h: h, chosen: chosen.label }) : "");
  }

  function number(input, name) {
    return parseFloat(input.getAttribute("data-" + name));
  }

  function checkFrame(input) {
    var form = input.form;
    clearFrame(input);
    var file = input.files && input.files[0];
    if (!form || !file) return;
    var accepted = (input.getAttribute("accept") || "").split(",");
    if (accepted.indexOf(file.type) === -1) {
      var shown = (file.type.split("/")[1] || file.name.split(".").pop() || "?").toUpperCase();
      setNote(input, "error", msg(form, "format", { format: shown }));
      return;
    }
    if (file.size > number(input, "max-bytes")) {
      setNote(input, "error", msg(form, "too-large", { size: (file.size / 1000000).toFixed(1) }));
      return;
    }
    var url = URL.createObjectURL(file);
    var figure = document.createElement("figure");
    figure.className = "frame-preview";
    var img = document.createElement("img");
    img.alt = msg(form, "preview-" + input.name);
    figure.appendChild(img);
    img.addEventListener("load", function () {
      URL.revokeObjectURL(url); // the decoded image stays on screen
      var w = img.naturalWidth;
      var h = img.naturalHeight;
      input.dataset.width = w;
      input.dataset.height = h;
      var ratio = w / h;
      if (Math.min(w, h) < number(input, "min-short-side")) {
        setNote(input, "error", msg(form, "too-small", { w: w, h: h }));
      } else if (Math.max(w, h) > number(input, "max-long-side")) {
        setNote(input, "error", msg(form, "too-big", { w: w, h: h }));
      } else if (ratio < number(input, "min-ratio") || ratio > number(input, "max-ratio")) {
        setNote(input, "error", msg(form, "ratio", { ratio: ratio.toFixed(2) }));
      }
      checkRatioMatch(form, input);
    });
    img.addEventListener("error", function () {
      URL.revokeObjectURL(url);
      figure.remove();
      setNote(input, "error", msg(form, "unreadable"));
    });
    img.src = url;
    var caption = document.createElement("figcaption");
    caption.textContent = file.name;
    figure.appendChild(caption);
    input.insertAdjacentElement("afterend", figure);
    var zone = dropZoneOf(input);
    if (zone) zone.classList.add("has-image");
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small";
    remove.setAttribute("data-remove-frame", input.id);
    remove.textContent = msg(form, "remove-frame") || "×";
    fieldBox(input).appendChild(remove);
  }

  function dropZoneOf(input) {
    return input.closest(".drop-zone");
  }

  // --- Frames: drag and drop, paste from the clipboard, or pick a file --------------------
  function putFile(input, file) {
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function imageFrom(list) {
    for (var i = 0; list && i < list.length; i++) {
      if (list[i].type && list[i].type.indexOf("image/") === 0) return list[i];
    }
    return null;
  }

  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (zone) zone.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("is-over");
    var file = event.dataTransfer && (imageFrom(event.dataTransfer.files) || event.dataTransfer.files[0]);
    if (file) putFile(zone.querySelector("input[type=file]"), file);
  });
  // A pasted image goes to the frame zone in focus, else the first empty one (start, then end).
  document.addEventListener("paste", function (event) {
    var form = document.querySelector("[data-generation-form]");
    var file = form && event.clipboardData && imageFrom(event.clipboardData.files);
    if (!file) return;
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-frame]"));
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".frame-field");
    var target = (focused && focused.querySelector("input[data-frame]")) ||
      inputs.filter(function (input) { return !input.files.length; })[0] || inputs[0];
    if (!target) return;
    event.preventDefault();
    putFile(target, file);
  });
  document.addEventListener("click", function (event) {
    var remove = event.target.closest && event.target.closest("[data-remove-frame]");
    if (!remove) return;
    var input = document.getElementById(remove.getAttribute("data-remove-frame"));
    if (!input) return;
    input.value = "";
    clearFrame(input);
    input.focus();
  });

  // Before a submit leaves the page: frame problems stop it, and a second submit is ignored.
  function onSubmit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-generation-form]")) return;
    var start = form.querySelector('input[name="start_frame"]');
    var end = form.querySelector('input[name="end_frame"]');
    if (start && end) {
      if (end.files.length && !start.files.length) {
        setNote(end, "error", msg(form, "needs-start"));
        end.dataset.needsStart = "1";
      } else if (end.dataset.needsStart) {
        setNote(end, "error", "");
        delete end.dataset.needsStart;
      }
    }
    var invalid = form.querySelector('[data-frame][aria-invalid="true"]');
    if (invalid) {
      event.preventDefault();
      event.stopPropagation(); // in the capture phase: htmx never sees this submit
      invalid.focus();
      return;
    }
    if (window.htmx && form.hasAttribute("hx-post")) return; // htmx disables the button itself
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.querySelectorAll('button[type="submit"]').forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("htmx-request");
    });
  }

  function bind(root) {
    if (root.matches && root.matches("textarea[data-char-count]")) updateCount(root);
    root.querySelectorAll("textarea[data-char-count]").forEach(updateCount);
    root.querySelectorAll("[data-switch-button]").forEach(function (button) {
      button.hidden = true; // the select submits by itself when scripts run
    });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches) return;
    if (event.target.matches("textarea[data-char-count]")) updateCount(event.target);
    if (event.target.matches('[data-generation-form] [name="prompt"], [data-generation-form] [name="prompt_name"]')) {
      var status = document.getElementById("save-prompt-status");
      if (status) status.textContent = ""; // "Saved" speaks of the text as it was
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("[data-switch-select]")) target.form.submit();
    else if (target.matches("input[data-frame]")) checkFrame(target);
    else if (target.matches('[data-generation-form] [name="aspect_ratio"]')) {
      target.form.querySelectorAll("input[data-frame]").forEach(function (input) {
        checkRatioMatch(target.form, input);
      });
    }
  });
  document.addEventListener("submit", onSubmit, true);
  // Back from the next page: the form was left mid-submit, so let it submit again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll('button[aria-disabled="true"]').forEach(function (button) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("htmx-request");
      });
    });
  });
  // --- Gallery: a thumbnail's muted preview plays while it is hovered or focused ------------
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  function preview(event, play) {
    var thumb = event.target.closest && event.target.closest("[data-hover-preview]");
    var video = thumb && thumb.querySelector("video");
    if (!video) return;
    if (!play) {
      video.pause();
      return;
    }
    if (reducedMotion && reducedMotion.matches) return;
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {}); // the poster stays if it cannot play
  }
  document.addEventListener("mouseenter", function (event) { preview(event, true); }, true);
  document.addEventListener("mouseleave", function (event) { preview(event, false); }, true);
  document.addEventListener("focusin", function (event) { preview(event, true); });
  document.addEventListener("focusout", function (event) { preview(event, false); });

  // --- Prompt library: "Use" fills the generation form on the same page -------------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-use-prompt]");
    var textarea = link && document.querySelector('[data-generation-form] textarea[name="prompt"]');
    if (!textarea) return; // elsewhere the link opens the form with the prompt filled in
    event.preventDefault();
    textarea.value = link.getAttribute("data-use-prompt");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  });

  // --- Share and invitation links: one click or tap selects the whole link, ready to copy ---
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input.copy-link")) event.target.select();
  });

  // --- Theme: the cookie makes the server render the right theme; the page follows at once ----
  function setCookie(pair, days) {
    document.cookie = pair + "; path=/; max-age=" + days * 86400 + "; samesite=lax";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-form] button[name=theme]");
    if (!button) return;
    event.preventDefault();
    var theme = button.value;
    document.documentElement.setAttribute("data-theme", theme);
    var scheme = document.querySelector('meta[name="color-scheme"]');
    if (scheme) scheme.setAttribute("content", theme === "light" ? "light" : theme === "system" ? "dark light" : "dark");
    setCookie("theme=" + theme, 365);
    try { window.localStorage.setItem("theme", theme); } catch (e) { /* private mode: the cookie is enough */ }
    button.parentNode.querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
  });
  // A theme remembered in this browser but not (or no longer) in its cookie.
  try {
    var remembered = window.localStorage.getItem("theme");
    if (remembered && document.cookie.indexOf("theme=") === -1 && /^(dark|light|system)$/.test(remembered)) {
      setCookie("theme=" + remembered, 365);
      document.documentElement.setAttribute("data-theme", remembered);
    }
  } catch (e) { /* no storage */ }

  // --- Dismissible notices (the sandbox banner) ---------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-dismiss]")) return;
    event.preventDefault();
    setCookie(form.getAttribute("data-cookie"), 30);
    var gone = document.querySelector(form.getAttribute("data-dismiss"));
    if (gone) gone.remove();
  });

  // --- Copy buttons ---------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.lastChild;
      var before = label.textContent;
      label.textContent = " " + (button.getAttribute("data-msg-copied") || "Copied");
      button.setAttribute("data-copied", "");
      setTimeout(function () { label.textContent = before; button.removeAttribute("data-copied"); }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source, done); });
    } else {
      fallbackCopy(source, done);
    }
  });
  function fallbackCopy(source, done) {
    if (source.select) {
      source.select();
      if (document.execCommand("copy")) done();
    }
  }

  // --- After Generate: the composer keeps everything; the new cards come into view ----------
  document.addEventListener("generation-created", function (event) {
    var card = document.getElementById("gen-" + (event.detail && event.detail.code));
    var shot = card && (card.closest(".shot") || card);
    if (!shot) return;
    var phone = window.matchMedia && window.matchMedia("(max-width: 900px)").matches;
    shot.scrollIntoView({ behavior: reducedMotion && reducedMotion.matches ? "auto" : "smooth", block: phone ? "start" : "nearest" });
  });
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-generation-form]");
    var status = form && document.getElementById("generate-status");
    if (status) status.textContent = ""; // "2 videos queued" spoke of the last press
  });

  // --- Gallery: select several; the lightbox with ← → and Esc --------------------------------
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-select]")) return;
    var count = document.querySelectorAll("[data-select]:checked").length;
    var out = document.querySelector("[data-selected-count]");
    if (out) out.textContent = count ? fill(out.getAttribute("data-msg-some"), { n: count }) : out.getAttribute("data-msg-none");
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar) bar.toggleAttribute("data-active", count > 0);
    var grid = document.getElementById("gallery-grid");
    if (grid) grid.classList.toggle("is-selecting", count > 0);
  });

  var lightboxIndex = -1;
  function lightboxItems() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-lightbox]"));
  }
  function showInLightbox(index) {
    var dialog = document.getElementById("lightbox");
    var items = lightboxItems();
    if (!dialog || !items.length) return;
    lightboxIndex = (index + items.length) % items.length;
    var item = items[lightboxIndex];
    var video = dialog.querySelector("[data-lightbox-video]");
    video.src = item.getAttribute("data-video");
    if (item.getAttribute("data-poster")) video.poster = item.getAttribute("data-poster");
    else video.removeAttribute("poster");
    dialog.querySelector("[data-lightbox-title]").textContent = item.getAttribute("data-title") || "";
    dialog.querySelector("[data-lightbox-open]").href = item.getAttribute("href");
    dialog.setAttribute("data-index", String(lightboxIndex));
    if (!dialog.open) dialog.showModal();
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  function closeLightbox(dialog) {
    var video = dialog.querySelector("[data-lightbox-video]");
    video.pause();
    video.removeAttribute("src");
    video.load();
    var items = lightboxItems();
    if (dialog.open) dialog.close();
    if (items[lightboxIndex]) items[lightboxIndex].focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-lightbox]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      showInLightbox(lightboxItems().indexOf(link));
      return;
    }
    var dialog = event.target.closest && event.target.closest("#lightbox");
    if (!dialog) return;
    if (event.target.closest("[data-lightbox-prev]")) showInLightbox(lightboxIndex - 1);
    else if (event.target.closest("[data-lightbox-next]")) showInLightbox(lightboxIndex + 1);
    else if (event.target.closest("[data-lightbox-close]") || event.target === dialog) closeLightbox(dialog);
  });
  document.addEventListener("keydown", function (event) {
    var dialog = document.getElementById("lightbox");
    if (!dialog || !dialog.open) return;
    if (event.key === "ArrowRight") { event.preventDefault(); showInLightbox(lightboxIndex + 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); showInLightbox(lightboxIndex - 1); }
    else if (event.key === "Escape") { event.preventDefault(); closeLightbox(dialog); }
  });

  // Shot headers carry their time as <time datetime data-relative>, drawn as a date by the server
  // (so a kept page never goes stale); here it becomes words in the page's language, "3 hours
  // ago" or "3小时前", with the date kept as its tooltip, and is refreshed every minute.
  var relativeFormat = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" })
    : null;
  var TIME_UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
    ["hour", 3600], ["minute", 60], ["second", 1]];
  function relativeWords(seconds) {
    for (var i = 0; i < TIME_UNITS.length - 1; i++) {
      if (seconds >= TIME_UNITS[i][1]) {
        return relativeFormat.format(-Math.floor(seconds / TIME_UNITS[i][1]), TIME_UNITS[i][0]);
      }
    }
    return relativeFormat.format(0, "second");
  }
  function showRelativeTimes(root) {
    if (!relativeFormat || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll("time[data-relative]"), function (time) {
      var when = Date.parse(time.getAttribute("datetime"));
      if (isNaN(when)) return;
      if (!time.title) time.title = time.textContent.trim();
      time.textContent = relativeWords(Math.max(0, (Date.now() - when) / 1000));
    });
  }
  window.setInterval(function () { showRelativeTimes(document); }, 60000);

  document.addEventListener("DOMContentLoaded", function () { bind(document); showRelativeTimes(document); });
  document.addEventListener("htmx:load", function (event) {
    bind(event.detail.elt);
    showRelativeTimes(event.detail.elt);
  });
})();
