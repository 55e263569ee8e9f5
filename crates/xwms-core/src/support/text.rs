//! The text of the desktop notification for a support reply: the agent's name as the title,
//! a short preview as the body, and no message text at all for security-sensitive topics
//! (the same rule as the reply mail).

use xwms_api::support::{AuthorKind, MessageKind, SupportChangeKind, SupportEvent};
use xwms_api::Language;

/// The preview holds at most this many characters.
pub const PREVIEW_CHARS: usize = 120;

/// A notification to show: which conversation it opens when clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyNotification {
    pub conversation_id: String,
    pub title: String,
    pub body: String,
}

/// The notification for `event` when it is a new text message from an agent; `None` for
/// anything else (the person's own messages, status changes, read markers).
pub fn reply_notification(event: &SupportEvent, lang: Language) -> Option<ReplyNotification> {
    if event.kind != SupportChangeKind::Message {
        return None;
    }
    let message = event.message.as_ref()?;
    // Only the other side's text: an agent's reply for the person, the person's message for
    // an agent; never one's own (the agent's window hears its own replies too).
    let from_other_side = message.author.kind != event.conversation.viewer
        && matches!(message.author.kind, AuthorKind::Agent | AuthorKind::Person);
    if !from_other_side || message.kind != MessageKind::Text {
        return None;
    }
    let name = message.author.name.trim();
    let title = if name.is_empty() {
        match lang {
            Language::En => "XWMS support".to_string(),
            Language::Nl => "XWMS-support".to_string(),
            Language::Fr => "Support XWMS".to_string(),
        }
    } else {
        name.to_string()
    };
    let body = if event.conversation.topic.is_security_sensitive() {
        match lang {
            Language::En => "You have a new reply. Open XWMS Desktop to read it.",
            Language::Nl => "U hebt een nieuw antwoord. Open XWMS Desktop om het te lezen.",
            Language::Fr => "Vous avez une nouvelle réponse. Ouvrez XWMS Desktop pour la lire.",
        }
        .to_string()
    } else {
        preview(&message.body)
    };
    Some(ReplyNotification {
        conversation_id: event.conversation_id.clone(),
        title,
        body,
    })
}

/// The body on one line, cut at [`PREVIEW_CHARS`] with an ellipsis.
pub fn preview(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= PREVIEW_CHARS {
        return line;
    }
    let cut: String = line.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xwms_api::support::*;

    fn event(topic: SupportTopic, author: AuthorKind, body: &str) -> SupportEvent {
        let conversation = ConversationSummary {
            id: "c1".into(),
            reference: "SUP-1".into(),
            topic,
            subject: "s".into(),
            status: ConversationStatus::WaitingForYou,
            language: Language::En,
            created_at: "2026-12-07T10:00:00Z".into(),
            updated_at: "2026-12-07T10:00:00Z".into(),
            last_seq: 3,
            preview: String::new(),
            unread: 1,
            last_read_seq: 0,
            other_last_read_seq: 0,
            agent_name: Some("Sam".into()),
            rating: None,
            reopen_until: None,
            guest: false,
            viewer: AuthorKind::Person,
        };
        SupportEvent {
            seq: 3,
            conversation_id: "c1".into(),
            kind: SupportChangeKind::Message,
            message: Some(SupportMessage {
                id: "m1".into(),
                conversation_id: "c1".into(),
                seq: 3,
                client_msg_id: "x".into(),
                kind: MessageKind::Text,
                author: MessageAuthor {
                    kind: author,
                    name: "Sam".into(),
                },
                body: body.into(),
                attachments: Vec::new(),
                created_at: "2026-12-07T10:00:00Z".into(),
            }),
            conversation,
        }
    }

    #[test]
    fn an_agent_reply_shows_the_agent_and_a_preview_but_no_text_for_security_topics() {
        let long = "word ".repeat(100);
        let n = reply_notification(
            &event(SupportTopic::Question, AuthorKind::Agent, &long),
            Language::En,
        )
        .unwrap();
        assert_eq!(n.title, "Sam");
        assert_eq!(n.conversation_id, "c1");
        assert!(n.body.chars().count() <= PREVIEW_CHARS && n.body.ends_with('…'));

        for lang in [Language::En, Language::Nl, Language::Fr] {
            let n = reply_notification(
                &event(
                    SupportTopic::SecurityReport,
                    AuthorKind::Agent,
                    "secret reset link",
                ),
                lang,
            )
            .unwrap();
            assert!(!n.body.contains("secret"), "{lang:?}: {}", n.body);
            assert!(n.body.contains("XWMS Desktop"));
        }
        assert!(reply_notification(
            &event(SupportTopic::Question, AuthorKind::Person, "mine"),
            Language::En
        )
        .is_none());
    }

    #[test]
    fn an_agents_window_is_not_told_of_its_own_reply_but_of_the_persons() {
        let mut own = event(SupportTopic::Question, AuthorKind::Agent, "my reply");
        own.conversation.viewer = AuthorKind::Agent;
        assert!(reply_notification(&own, Language::En).is_none());
        let mut theirs = event(SupportTopic::Question, AuthorKind::Person, "thanks");
        theirs.conversation.viewer = AuthorKind::Agent;
        assert_eq!(
            reply_notification(&theirs, Language::En).unwrap().body,
            "thanks"
        );
    }
}
