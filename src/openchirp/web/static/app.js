// Shared by every page: the JSON API, clip cards, live updates and keyboard shortcuts.
"use strict";

const OC = (() => {
  const FINISHED = ["complete", "error"];

  // The server's own words for a failure: gcui {error}, sunoapi {message}, FastAPI {detail}.
  function errorText(body, status) {
    if (body && typeof body === "object") {
      const text = body.error?.message || body.error || body.message || body.detail;
      if (typeof text === "string" && text) return text;
    }
    return `The server answered ${status}.`;
  }

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    let response;
    try {
      response = await fetch(path, { credentials: "same-origin", ...init });
    } catch {
      throw new Error("Cannot reach the server. Check your connection and try again.");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const err = new Error(errorText(data, response.status));
      err.status = response.status;
      throw err;
    }
    return data;
  }

  function showError(el, message) {
    el.textContent = message || "";
    el.hidden = !message;
  }

  function mmss(seconds) {
    if (seconds === null || seconds === undefined || seconds === "" || !isFinite(seconds)) return "";
    const s = Math.max(0, Math.floor(Number(seconds)));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // Clips come canonical (events, /api/clip) or flattened (gcui create answers): read both.
  function view(clip) {
    const m = clip.metadata || {};
    const duration = m.duration ?? (clip.duration ? parseFloat(clip.duration) : null);
    let kind = "";
    if (m.stem_type || m.stem_from_id || clip.stem_from_id) kind = "stem";
    else if (m.type === "concat") kind = "whole song";
    else if (m.history && m.history.length) kind = "extension";
    return {
      id: clip.id, title: clip.title || "Untitled", status: clip.status,
      tags: m.tags ?? clip.tags ?? "", duration, kind,
      image: clip.image_url || "", audio: clip.audio_url || "",
      model: clip.major_model_version || "", error: m.error_message || clip.error_message || "",
    };
  }

  function fillCard(card, clip) {
    const v = view(clip);
    const f = (name) => card.querySelector(`[data-f="${name}"]`);
    card.dataset.id = v.id;
    card.dataset.status = v.status;
    f("title").textContent = v.title;
    f("title").href = `/clip/${encodeURIComponent(v.id)}`;
    f("tags").textContent = v.tags;
    f("status").textContent = v.status;
    f("duration").textContent = mmss(v.duration);
    if (v.model) f("model").textContent = v.model;
    if (v.kind) f("kind").textContent = v.kind;
    f("error").textContent = v.error;
    f("error").hidden = !v.error;
    const img = f("image");
    if (v.image && img.getAttribute("src") !== v.image) img.src = v.image;
    img.hidden = !v.image;
    const play = f("play");
    play.disabled = !v.audio;
    play.setAttribute("aria-label", `Play ${v.title}`);
    // Keep the stream URL of a clip that is playing: swapping src would restart it.
    if (!card.classList.contains("playing") || !play.dataset.audio) play.dataset.audio = v.audio;
    else play.dataset.next = v.audio;
    return card;
  }

  function newCard(clip) {
    const template = document.getElementById("card-template");
    const card = template.content.firstElementChild.cloneNode(true);
    return fillCard(card, clip);
  }

  function cardFor(list, clip) {
    let card = list.querySelector(`.card[data-id="${CSS.escape(clip.id)}"]`);
    if (card) return fillCard(card, clip);
    card = newCard(clip);
    list.prepend(card);
    return card;
  }

  // Server-sent events until every clip is finished; the server re-sends state on reconnect.
  function watch(ids, onClip, { video = false, onDone } = {}) {
    if (!ids.length) return null;
    const query = new URLSearchParams({ ids: ids.join(",") });
    if (video) query.set("video", "1");
    const source = new EventSource(`/ui/events?${query}`);
    source.addEventListener("clip", (event) => onClip(JSON.parse(event.data)));
    source.addEventListener("done", () => { source.close(); onDone?.(); });
    return source;
  }

  // Space plays and pauses anywhere a key press is not already text or a control.
  let toggle = null;
  document.addEventListener("keydown", (event) => {
    if (event.key !== " " || !toggle || event.ctrlKey || event.metaKey || event.altKey) return;
    const t = event.target;
    if (t.closest("input, textarea, select, button, a, audio, [contenteditable]")) return;
    event.preventDefault();
    toggle();
  });

  // Ctrl/Cmd+Enter submits a form from a textarea (plain Enter there is a new line).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  async function busy(button, work) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try { return await work(); } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  return {
    FINISHED, api, showError, mmss, view, fillCard, newCard, cardFor, watch, busy,
    setToggle(fn) { toggle = fn; },
  };
})();
