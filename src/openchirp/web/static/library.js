// The library: create form, live cards and the bottom player.
"use strict";

(() => {
  const form = document.getElementById("create-form");
  const list = document.getElementById("clips");
  const errorEl = document.getElementById("create-error");
  const bar = document.getElementById("player-bar");
  const audio = document.getElementById("audio");
  const nowTitle = document.getElementById("now-title");
  const nowImage = document.getElementById("now-image");

  // -- mode ------------------------------------------------------------------------------
  function setMode(mode) {
    form.dataset.mode = mode;
    for (const b of document.querySelectorAll(".mode")) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    for (const f of form.querySelectorAll("[data-for]")) f.hidden = f.dataset.for !== mode;
    OC.showError(errorEl, "");
  }
  for (const b of document.querySelectorAll(".mode")) b.addEventListener("click", () => setMode(b.dataset.mode));

  // -- create ----------------------------------------------------------------------------
  function live(ids) {
    OC.watch(ids, (clip) => OC.cardFor(list, clip));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    OC.showError(errorEl, "");
    const data = new FormData(form);
    const common = { make_instrumental: data.get("instrumental") === "on", model: data.get("model") };
    const [path, body] = form.dataset.mode === "description"
      ? ["/api/generate", { prompt: data.get("description"), ...common }]
      : ["/api/custom_generate", { prompt: data.get("lyrics"), tags: data.get("tags"), title: data.get("title"), ...common }];
    const button = form.querySelector("button[type=submit]");
    try {
      const clips = await OC.busy(button, () => OC.api(path, body));
      document.getElementById("empty").hidden = true;
      const count = document.getElementById("count");
      count.dataset.total = Number(count.dataset.total) + clips.length;
      count.textContent = `${count.dataset.total} songs`;
      for (const clip of clips.slice().reverse()) OC.cardFor(list, clip);
      live(clips.map((c) => c.id));
    } catch (err) {
      OC.showError(errorEl, err.message);
    }
  });

  // -- player ----------------------------------------------------------------------------
  let current = null;

  function mark(card) {
    for (const c of list.querySelectorAll(".card.playing")) {
      c.classList.remove("playing");
      const next = c.querySelector('[data-f="play"]');
      if (next.dataset.next) { next.dataset.audio = next.dataset.next; delete next.dataset.next; }
    }
    if (card) card.classList.add("playing");
  }

  function play(card) {
    const button = card.querySelector('[data-f="play"]');
    if (current === card && !audio.paused) { audio.pause(); return; }
    if (current !== card) {
      current = card;
      audio.src = button.dataset.audio;
      const title = card.querySelector('[data-f="title"]');
      nowTitle.textContent = title.textContent;
      nowTitle.href = title.href;
      const img = card.querySelector('[data-f="image"]');
      nowImage.src = img.src;
      nowImage.hidden = img.hidden;
      bar.hidden = false;
    }
    audio.play().catch(() => {});
  }

  audio.addEventListener("play", () => mark(current));
  audio.addEventListener("pause", () => mark(null));
  audio.addEventListener("ended", () => mark(null));

  list.addEventListener("click", (event) => {
    const button = event.target.closest('[data-f="play"]');
    if (button) play(button.closest(".card"));
  });

  OC.setToggle(() => {
    if (!current) {
      const first = list.querySelector('.card [data-f="play"]:not([disabled])');
      if (first) play(first.closest(".card"));
    } else if (audio.paused) audio.play().catch(() => {}); else audio.pause();
  });

  // Clips still rendering when the page loaded keep updating too.
  const pending = [...list.querySelectorAll(".card")]
    .filter((c) => !OC.FINISHED.includes(c.dataset.status)).map((c) => c.dataset.id);
  live(pending);
})();
