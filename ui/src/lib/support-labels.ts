// The words for support topics and statuses, in the current language.
import { t, type MessageKey } from "$lib/i18n/index.svelte";
import type { ConversationStatus, SupportTopic } from "$lib/ipc";

const TOPIC_KEYS: Record<SupportTopic, MessageKey> = {
  question: "support.topic.question",
  account_recovery: "support.topic.account_recovery",
  account_deletion: "support.topic.account_deletion",
  suspension_appeal: "support.topic.suspension_appeal",
  security_report: "support.topic.security_report",
  mail_not_arriving: "support.topic.mail_not_arriving",
  other: "support.topic.other",
  unknown: "support.topic.other",
};

const STATUS_KEYS: Record<ConversationStatus, MessageKey> = {
  new: "support.status.new",
  open: "support.status.open",
  waiting_for_you: "support.status.waiting_for_you",
  resolved: "support.status.resolved",
  closed: "support.status.closed",
  unknown: "support.status.open",
};

export function topicLabel(topic: SupportTopic): string {
  return t(TOPIC_KEYS[topic] ?? "support.topic.other");
}

export function statusLabel(status: ConversationStatus): string {
  return t(STATUS_KEYS[status] ?? "support.status.open");
}

/** The badge colour: an answer waits for the person (accent), done (good), else neutral. */
export function statusTone(status: ConversationStatus): "accent" | "good" | undefined {
  if (status === "waiting_for_you") return "accent";
  if (status === "resolved" || status === "closed") return "good";
  return undefined;
}
