// Live preview: fetch the latest side-by-side frame and show its halves on the two monitors. Polling a JPEG (not
// one long MJPEG response) survives proxies and lets the page stop cleanly when the session ends; without
// JavaScript the page falls back to the MJPEG stream (see <noscript>).
//
// The poll backs off: every half second while new frames arrive, then twice as long after each poll that finds
// nothing new (no frame yet while a worker is awaited, the same frame while the pipeline is idle), up to a few
// seconds, and back to half a second as soon as a new frame shows. A waiting page thus asks the server about once
// every four seconds instead of several times a second. The server answers 304 for a frame already shown.
(() => {
  const FLOWING_MS = 500;
  const LONGEST_MS = 4000;

  function live() {
    const status = document.getElementById("preview-status");
    return status !== null && status.dataset.live === "1";
  }

  function start(monitors) {
    const url = monitors.dataset.frameUrl;
    const images = monitors.querySelectorAll("img.half");
    let current = null;
    let etag = null;
    let delay = FLOWING_MS;

    function show(blob) {
      const next = URL.createObjectURL(blob);
      images.forEach((img) => {
        img.src = next;
        img.hidden = false;
        img.previousElementSibling?.classList.contains("waiting") && (img.previousElementSibling.hidden = true);
      });
      if (current) URL.revokeObjectURL(current);
      current = next;
      monitors.dataset.frames = String(Number(monitors.dataset.frames || 0) + 1);
    }

    async function tick() {
      const wasLive = live();
      let fresh = false;
      try {
        const headers = etag ? { "If-None-Match": etag } : {};
        const response = await fetch(url, { cache: "no-store", credentials: "same-origin", headers });
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          show(await response.blob());
          fresh = true;
        }
      } catch (error) {
        // A dropped request counts as nothing new: the next poll, a little later, tries again.
      }
      delay = fresh ? FLOWING_MS : Math.min(delay * 2, LONGEST_MS);
      monitors.dataset.pollMs = String(delay);
      // One last fetch after the session ends keeps its final frame on screen; then polling stops.
      if (wasLive) window.setTimeout(tick, delay);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".monitors[data-frame-url]").forEach(start);
  });
})();
