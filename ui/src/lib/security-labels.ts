// How the security center names things: event kinds on the timeline, devices and sessions.

import type { IconName } from "$lib/components/Icon.svelte";
import { en } from "$lib/i18n/en";
import { t, type MessageKey } from "$lib/i18n/index.svelte";
import type { SecurityEventInfo, SecurityEventKind } from "$lib/ipc";

/**
 * The label of a timeline event kind: every kind of the bindings' union has its
 * `timeline.kind.<kind>` message (a kind without one is a type error here); a kind this version
 * does not know arrives as `unknown` and gets the generic label.
 */
export function eventLabel(kind: SecurityEventKind): string {
  if (kind === "unknown") return t("timeline.kind.other");
  const key = `timeline.kind.${kind}` as const;
  return t(Object.hasOwn(en, key) ? key : "timeline.kind.other");
}

/** "Firefox · Linux", the app, or "An unknown device". */
export function eventDevice(e: Pick<SecurityEventInfo, "device" | "os" | "app">): string {
  const parts = [e.device ?? e.app, e.os].map((p) => p?.trim()).filter((p): p is string => !!p);
  const unique = parts.filter((p, i) => parts.indexOf(p) === i && !(i > 0 && (parts[0] ?? "").includes(p)));
  return unique.length ? unique.join(" · ") : t("alert.unknownDevice");
}

const DEVICE_ICONS: Record<string, IconName> = {
  desktop: "monitor",
  mobile: "smartphone",
  cli: "terminal",
};

export function deviceIcon(deviceType: string): IconName {
  return DEVICE_ICONS[deviceType] ?? "device";
}

export function deviceTypeLabel(deviceType: string): string {
  const key = `sessions.device.${deviceType}`;
  return t(Object.hasOwn(en, key) ? (key as MessageKey) : "sessions.device.other");
}
