// Progressive enhancement only: every page works without this file. htmx (served by the app, see vendor/)
// does the partial updates; this file holds the few behaviours htmx does not cover.
document.addEventListener("DOMContentLoaded", () => {
  // Buttons that ask before a consequential action: <button data-confirm="...">.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
