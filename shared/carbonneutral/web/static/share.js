// Progressive enhancement: a Share button only where the browser can share; the link works without it.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-share-url]")) {
    const url = button.dataset.shareUrl;
    if (!navigator.share) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.share({ title: document.title, url });
      } catch (e) { /* the person closed the share sheet */ }
    });
  }
});
