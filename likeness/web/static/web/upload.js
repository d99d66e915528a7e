// Upload progress for forms marked data-upload-progress: the form is sent by XMLHttpRequest so the page can show
// how much has gone up (large footage takes minutes). The server's answer is shown exactly as a normal submit
// would: the page a redirect leads to, or the form again with the errors, replaces this page.
// Without JavaScript the form submits normally.
(() => {
  "use strict";

  function mb(bytes) { return (bytes / 1e6).toFixed(1) + " MB"; }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-upload-progress]")) {
      const box = form.querySelector(".upload-progress");
      const bar = form.querySelector("progress");
      const text = form.querySelector("#upload-text");
      const button = form.querySelector("button[type=submit]");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const xhr = new XMLHttpRequest();
        xhr.open("POST", form.action || window.location.href);
        xhr.upload.addEventListener("progress", (e) => {
          if (!e.lengthComputable) return;
          bar.value = Math.round((100 * e.loaded) / e.total);
          text.textContent = `${mb(e.loaded)} of ${mb(e.total)} (${bar.value}%)`;
        });
        xhr.upload.addEventListener("load", () => {
          text.textContent = "Uploaded: the platform is checking the file and computing its SHA-256…";
        });
        xhr.addEventListener("load", () => {
          // The answer is already the page to show (a redirect was followed, its message included): show it and
          // put its address in the location bar, as a normal submit would.
          const shown = xhr.responseURL || window.location.href;
          document.open();
          document.write(xhr.responseText);
          document.close();
          window.history.replaceState(null, "", shown);
        });
        xhr.addEventListener("error", () => {
          box.hidden = false;
          text.textContent = "The upload was interrupted (network or server). Nothing was registered: try again.";
          button.disabled = false;
        });
        box.hidden = false;
        button.disabled = true;
        bar.value = 0;
        text.textContent = "Starting the upload…";
        xhr.send(new FormData(form));
      });
    }
  });
})();
