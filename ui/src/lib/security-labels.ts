// How the security center names things: event kinds on the timeline, devices and sessions.

import type { IconName } from "$lib/components/Icon.svelte";
import { en } from "$lib/i18n/en";
import { t } from "$lib/i18n/index.svelte";
import type { DeviceType, SecurityEventInfo, SecurityEventKind } from "$lib/ipc";

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

/** The event's device as the Rust side names it ("Firefox · Linux"), or "An unknown device". */
export function eventDevice(e: Pick<SecurityEventInfo, "device_label">): string {
  return e.device_label ?? t("alert.unknownDevice");
}

const DEVICE_ICONS: Partial<Record<DeviceType, IconName>> = {
  desktop: "monitor",
  mobile: "smartphone",
  cli: "terminal",
};

export function deviceIcon(deviceType: DeviceType): IconName {
  return DEVICE_ICONS[deviceType] ?? "device";
}

/** The label of a device type; one this version does not know (`unknown`) is "Other device". */
export function deviceTypeLabel(deviceType: DeviceType): string {
  if (deviceType === "unknown") return t("sessions.device.other");
  const key = `sessions.device.${deviceType}` as const;
  return t(Object.hasOwn(en, key) ? key : "sessions.device.other");
}
