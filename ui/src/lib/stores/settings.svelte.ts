// The app's settings as last loaded from, or saved to, the Rust side. Language and theme
// are applied to the document as soon as they are known.

import { ipc } from "$lib/ipc";
import type { AppError, Result, Settings } from "$lib/ipc";
import { setLanguage } from "$lib/i18n/index.svelte";
import { setTheme } from "$lib/theme.svelte";

class SettingsStore {
  current = $state<Settings>({ server_url: "", language: "system", theme: "system" });
  loaded = $state(false);
  loadError = $state<AppError | null>(null);

  private queue: Promise<unknown> = Promise.resolve();

  /** Takes settings loaded from the Rust side and applies their language and theme. */
  apply(settings: Settings): void {
    this.current = settings;
    setLanguage(settings.language);
    setTheme(settings.theme);
  }

  async load(): Promise<void> {
    const r = await ipc.getSettings();
    if (r.status === "ok") {
      this.apply(r.data);
      this.loadError = null;
    } else {
      this.loadError = r.error;
    }
    this.loaded = true;
  }

  /**
   * Saves the current settings with `changes` applied. Saves run one after the other, so a
   * quick language change followed by a theme change stores both. On success the stored
   * settings (as the Rust side normalised them) become current; on failure nothing changes
   * here and the error comes back to the caller. Language and theme are applied by the
   * caller before saving, so they show at once.
   */
  save(changes: Partial<Settings>): Promise<Result<Settings, AppError>> {
    const run = async (): Promise<Result<Settings, AppError>> => {
      const r = await ipc.saveSettings({ ...this.current, ...changes });
      if (r.status === "ok") this.current = r.data;
      return r;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Moves to another server: the Rust side checks its `/api/info` first (an unreachable or
   * non-XWMS address is refused and nothing changes) and signs out of the old one.
   */
  changeServer(serverUrl: string): Promise<Result<Settings, AppError>> {
    const run = async (): Promise<Result<Settings, AppError>> => {
      const r = await ipc.changeServer(serverUrl);
      if (r.status === "ok") this.current = r.data;
      return r;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

export const settings = new SettingsStore();
