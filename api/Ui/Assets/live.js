// Live refresh for the status page. An element with data-live="URL" is refreshed every data-live-interval ms (2 s by
// default): the URL answers HTML whose elements marked data-live-part replace the page's elements of the same id, so
// scroll position, filters and the form around the rows stay as they are. Paused while the tab is hidden. Without
// this script the pages still work; they just do not update by themselves.
(() => {
  "use strict";
  const root = document.querySelector("[data-live]");
  if (!root) return;
  const url = root.dataset.live;
  const every = Math.max(1000, Number(root.dataset.liveInterval) || 2000);
  let busy = false;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual", headers: { Accept: "text/html" } });
      // The session ended: reload, which lands on the sign-in page.
      if (response.type === "opaqueredirect" || response.status === 401) { location.reload(); return; }
      if (!response.ok) { document.body.classList.add("live-stale"); return; }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of fresh.querySelectorAll("[data-live-part][id]")) {
        const current = document.getElementById(part.id);
        if (!current || current.innerHTML === part.innerHTML) continue;
        // Keep keyboard focus on the same control (buttons and links carry ids) across the swap.
        const focused = current.contains(document.activeElement) ? document.activeElement.id : null;
        current.innerHTML = part.innerHTML;
        if (focused) document.getElementById(focused)?.focus();
      }
      document.body.classList.remove("live-stale");
    } catch {
      document.body.classList.add("live-stale");
    } finally {
      busy = false;
    }
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
})();
