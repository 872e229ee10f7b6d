// The clip page: player with waveform, word-by-word lyrics, extend, whole song, stems, downloads.
"use strict";

(() => {
  let clip = JSON.parse(document.getElementById("clip-data").textContent);
  const $ = (id) => document.getElementById(id);
  const audio = $("audio"), playBtn = $("play"), canvas = $("wave"), ctx = canvas.getContext("2d");
  const pointInput = $("continue_at"), made = $("made"), list = $("clips");
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#ff7a45";
  let peaks = null;
  let point = null;  // where an extension continues from, in seconds
  let words = [];  // [{el, start, end}] sorted by start

  const duration = () => clip.metadata.duration || (isFinite(audio.duration) ? audio.duration : 0);
  const finished = () => OC.FINISHED.includes(clip.status);

  // -- waveform --------------------------------------------------------------------------
  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const d = duration();
    const played = d ? (audio.currentTime / d) * w : 0;
    const bar = 3, gap = 2, n = Math.max(1, Math.floor(w / (bar + gap)));
    for (let i = 0; i < n; i++) {
      let v = 0.05;
      if (peaks && peaks.length) {
        const a = Math.floor((i * peaks.length) / n), b = Math.max(a + 1, Math.floor(((i + 1) * peaks.length) / n));
        v = Math.max(0.03, ...peaks.slice(a, b));
      }
      const x = i * (bar + gap), hh = Math.max(2, v * (h - 6));
      ctx.fillStyle = x < played ? accent : "#3a404d";
      ctx.fillRect(x, (h - hh) / 2, bar, hh);
    }
    if (point !== null && d) {
      const x = Math.min(w - 1, (point / d) * w);
      ctx.fillStyle = "#7dd3fc";
      ctx.fillRect(x - 1, 0, 2, h);
    }
    canvas.setAttribute("aria-valuenow", audio.currentTime.toFixed(1));
    canvas.setAttribute("aria-valuetext", `${OC.mmss(audio.currentTime)} of ${OC.mmss(d)}`);
    $("cur").textContent = OC.mmss(audio.currentTime) || "0:00";
    $("dur").textContent = OC.mmss(d);
  }

  function setPoint(seconds) {
    const d = duration();
    if (!d) return;
    point = Math.round(Math.min(Math.max(seconds, 0.01), d - 0.01) * 100) / 100;
    pointInput.value = point.toFixed(2);
    $("mark").textContent = `Extend from ${OC.mmss(point)}`;
    $("mark").hidden = false;
    if (isFinite(audio.duration)) audio.currentTime = point;
    draw();
  }

  canvas.addEventListener("click", (event) => {
    const rect = canvas.getBoundingClientRect();
    setPoint(((event.clientX - rect.left) / rect.width) * duration());
  });
  canvas.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 5 : 1, at = point ?? audio.currentTime;
    const moves = { ArrowRight: at + step, ArrowLeft: at - step, Home: 0, End: duration() };
    if (!(event.key in moves)) return;
    event.preventDefault();
    setPoint(moves[event.key]);
  });
  pointInput.addEventListener("input", () => {
    const v = parseFloat(pointInput.value);
    point = isFinite(v) ? v : null;
    $("mark").hidden = point === null;
    if (point !== null) $("mark").textContent = `Extend from ${OC.mmss(point)}`;
    draw();
  });
  new ResizeObserver(draw).observe(canvas);

  async function loadPeaks() {
    try {
      peaks = (await OC.api(`/api/waveform?id=${encodeURIComponent(clip.id)}`)).peaks;
    } catch {
      // Older servers: the peaks file the renderer writes beside the audio.
      const response = await fetch(`/files/clips/${encodeURIComponent(clip.id)}/peaks.json`);
      if (response.ok) peaks = await response.json();
    }
    draw();
  }

  // -- playback and lyrics ---------------------------------------------------------------
  function highlight() {
    const t = audio.currentTime;
    let lo = 0, hi = words.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid].start <= t) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    words.forEach((w, i) => {
      w.el.classList.toggle("on", i === at && t < w.end + 0.25);
      w.el.classList.toggle("sung", i < at || (i === at && t >= w.end + 0.25));
    });
    if (at >= 0 && words[at].el.offsetTop !== lineTop) follow(words[at].el);
  }

  // Keep the sung line a third of the way down the lyrics box (the box scrolls, not the page).
  let lineTop = -1;
  function follow(el) {
    lineTop = el.offsetTop;
    const box = $("lyrics");
    if (box.scrollHeight > box.clientHeight) box.scrollTo({ top: lineTop - box.clientHeight / 3, behavior: "smooth" });
  }

  function tick() {
    draw();
    if (words.length) highlight();
    if (!audio.paused) requestAnimationFrame(tick);
  }

  function toggle() {
    if (!audio.getAttribute("src")) return;
    if (audio.paused) audio.play().catch((err) => OC.showError($("song-error"), `Cannot play: ${err.message}`));
    else audio.pause();
  }
  playBtn.addEventListener("click", toggle);
  OC.setToggle(toggle);
  audio.addEventListener("play", () => {
    playBtn.classList.add("playing");
    playBtn.setAttribute("aria-label", "Pause");
    requestAnimationFrame(tick);
  });
  audio.addEventListener("pause", () => {
    playBtn.classList.remove("playing");
    playBtn.setAttribute("aria-label", "Play");
    tick();
  });
  audio.addEventListener("loadedmetadata", draw);
  audio.addEventListener("seeked", tick);

  const norm = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}']/gu, "");

  // Word timings onto the lyric spans, in order; a word the aligner dropped keeps no timing.
  async function loadWords() {
    if (!clip.metadata.has_vocal) return;
    let aligned;
    try {
      aligned = await OC.api(`/api/get_aligned_lyrics?song_id=${encodeURIComponent(clip.id)}`);
    } catch {
      return;  // the lyrics stay readable, just not lit
    }
    const spans = [...document.querySelectorAll("#lyrics .w")];
    let j = 0;
    words = [];
    for (const a of aligned) {
      const want = norm(a.word);
      for (let k = j; k < Math.min(spans.length, j + 8); k++) {
        if (norm(spans[k].textContent) === want) {
          words.push({ el: spans[k], start: a.start_s, end: a.end_s });
          j = k + 1;
          break;
        }
      }
    }
    for (const w of words) {
      w.el.classList.add("timed");
      w.el.addEventListener("click", () => { audio.currentTime = w.start; tick(); });
    }
  }

  // -- downloads -------------------------------------------------------------------------
  function setLink(id, url, ext) {
    const a = $(id);
    if (url) {
      a.href = url;
      a.download = `${clip.title || "song"}.${ext}`;
      a.removeAttribute("aria-disabled");
    } else {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
    }
  }

  async function loadDownloads() {
    const complete = clip.status === "complete";
    setLink("dl-mp3", complete ? clip.audio_url : "", "mp3");
    setLink("dl-cover", clip.image_large_url, "jpeg");
    setLink("dl-mp4", clip.video_url, "mp4");
    const notes = [];
    if (!complete) notes.push(clip.status === "error" ? "This song failed; there is nothing to download." : "Downloads open when the song is complete.");
    else if (clip.is_video_pending) notes.push("The video is still rendering.");
    if (complete) {
      try {
        setLink("dl-wav", (await OC.api(`/api/get_wav?id=${encodeURIComponent(clip.id)}`)).wav_url, "wav");
      } catch (err) {
        notes.push(`WAV: ${err.message}`);
      }
    }
    $("dl-note").textContent = notes.join(" ");
  }

  // -- live state ------------------------------------------------------------------------
  function update(next) {
    const was = clip.status;
    clip = next;
    const m = clip.metadata;
    $("clip-page").dataset.status = clip.status;
    $("clip-status").textContent = clip.status;
    $("clip-duration").textContent = OC.mmss(m.duration);
    $("clip-error").textContent = m.error_message || "";
    $("clip-error").hidden = !m.error_message;
    if (clip.image_large_url && $("cover").getAttribute("src") !== clip.image_large_url) {
      $("cover").src = clip.image_large_url;
      $("cover").hidden = false;
    }
    // Move from the stream to the final file only when not mid-play (a swap restarts it).
    if (clip.audio_url && audio.paused && audio.getAttribute("src") !== clip.audio_url) {
      audio.src = clip.audio_url;
    }
    playBtn.disabled = !clip.audio_url;
    $("concat").disabled = !(m.history && m.history.length) || clip.status !== "complete";
    $("stems").disabled = clip.status !== "complete";
    if (clip.status === "complete" && was !== "complete") { loadPeaks(); loadWords(); }
    loadDownloads();
    draw();
  }

  const settled = () => finished() && (clip.status === "error" || !clip.is_video_pending);
  if (!settled()) OC.watch([clip.id], update, { video: true });
  if (clip.status === "complete") { loadPeaks(); loadWords(); }
  loadDownloads();
  draw();

  // -- making more from this clip ----------------------------------------------------------
  function show(clips) {
    made.hidden = false;
    for (const c of clips.slice().reverse()) OC.cardFor(list, c);
    OC.watch(clips.map((c) => c.id), (c) => OC.cardFor(list, c));
    made.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }
  list.addEventListener("click", (event) => {
    const button = event.target.closest('[data-f="play"]');
    if (button) location.href = `/clip/${encodeURIComponent(button.closest(".card").dataset.id)}`;
  });

  $("extend-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target, errorEl = $("extend-error");
    OC.showError(errorEl, "");
    const raw = pointInput.value.trim();
    const data = new FormData(form);
    const body = {
      audio_id: clip.id, continue_at: raw === "" ? null : Number(raw),
      prompt: data.get("prompt"), tags: data.get("tags"), title: data.get("title"),
    };
    try {
      show(await OC.busy($("extend-submit"), () => OC.api("/api/extend_audio", body)));
    } catch (err) {
      OC.showError(errorEl, err.message);
    }
  });

  async function songAction(button, path, body) {
    OC.showError($("song-error"), "");
    try {
      const result = await OC.busy(button, () => OC.api(path, body));
      show(Array.isArray(result) ? result : [result]);
    } catch (err) {
      OC.showError($("song-error"), err.message);
    }
    update(clip);  // busy() re-enabled the button; put back what the clip allows
  }
  $("concat").addEventListener("click", (e) => songAction(e.currentTarget, "/api/concat", { clip_id: clip.id }));
  $("stems").addEventListener("click", (e) => songAction(e.currentTarget, "/api/generate_stems", { audio_id: clip.id }));
})();
