// Live preview: fetch the latest side-by-side frame a few times a second and show its halves on the two
// monitors. Polling a JPEG (not one long MJPEG response) survives proxies and lets the page stop cleanly when
// the session ends; without JavaScript the page falls back to the MJPEG stream (see <noscript>).
(() => {
  const INTERVAL_MS = 120;

  function live() {
    const status = document.getElementById("preview-status");
    return status !== null && status.dataset.live === "1";
  }

  function start(monitors) {
    const url = monitors.dataset.frameUrl;
    const images = monitors.querySelectorAll("img.half");
    let current = null;
    let stopped = false;

    async function tick() {
      const wasLive = live();
      try {
        const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
        if (response.ok) {
          const blob = await response.blob();
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
      } catch (error) {
        // A dropped request: the next tick tries again.
      }
      // One last fetch after the session ends keeps its final frame on screen; then polling stops.
      if (wasLive && !stopped) {
        window.setTimeout(tick, INTERVAL_MS);
      } else {
        stopped = true;
      }
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".monitors[data-frame-url]").forEach(start);
  });
})();
