// Screens opened from outside the window: an `xwms://` link (a support mail, a browser) or a
// click on a support reply's notification. The Rust side checks the link
// (`xwms_core::links::app_link`) and keeps the one asked for last until the UI takes it, so
// a link that arrives while the app starts is not lost and none opens twice.

import { ipc } from "$lib/ipc";
import type { AppLink } from "$lib/ipc";
import { helpArticleHref } from "$lib/router.svelte";
import { conversationHref } from "$lib/support";

/** The screen (hash route) a link opens. */
export function hrefForAppLink(link: AppLink): string {
  switch (link.type) {
    case "support_conversation":
      return conversationHref(link.conversation_id);
    case "help_article":
      return helpArticleHref(link.article_id);
  }
}

/** Opens the link waiting now (if any), then each one that arrives; returns the function that stops. */
export async function startAppLinks(): Promise<() => void> {
  const open = async () => {
    const taken = await ipc.takeAppLink();
    const link = taken.status === "ok" ? taken.data : null;
    if (link) location.hash = hrefForAppLink(link);
  };
  const stop = await ipc.onAppLinkOpened(() => void open());
  await open();
  return stop;
}
