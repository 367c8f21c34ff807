// Progressive enhancement: a Share button where the browser can share or copy; the link works without it.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-share-url]")) {
    const url = button.dataset.shareUrl;
    if (!navigator.share && !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        if (navigator.share) await navigator.share({ title: document.title, url });
        else { await navigator.clipboard.writeText(url); button.textContent = "✓"; }
      } catch (e) { /* the person closed the share sheet */ }
    });
  }
});
