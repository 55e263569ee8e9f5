// Vitest setup (jsdom). jsdom has no matchMedia; the theme module falls back to light.
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.location.hash = "";
});
