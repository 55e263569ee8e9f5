// How the security center names things: event kinds on the timeline, devices and sessions.

import type { IconName } from "$lib/components/Icon.svelte";
import { en } from "$lib/i18n/en";
import { t, type MessageKey } from "$lib/i18n/index.svelte";
import type { SecurityEventInfo } from "$lib/ipc";

/** The label of a timeline event kind; a kind this version does not know gets a generic one. */
export function eventLabel(kind: string): string {
  const key = `timeline.kind.${kind}`;
  return t(Object.hasOwn(en, key) && kind !== "other" ? (key as MessageKey) : "timeline.kind.other");
}

/** True when `kind` has its own label. */
export function isKnownEventKind(kind: string): boolean {
  return kind !== "other" && Object.hasOwn(en, `timeline.kind.${kind}`);
}

/** The event's device as the Rust side names it ("Firefox · Linux"), or "An unknown device". */
export function eventDevice(e: Pick<SecurityEventInfo, "device_label">): string {
  return e.device_label ?? t("alert.unknownDevice");
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
