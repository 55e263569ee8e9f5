//! The one markup of an answer: links, `[label](target)`. Everything else is plain text, so
//! a screen renders an answer without ever interpreting HTML.
//!
//! A target is an app route ([`ROUTES`]) or an `http(s)://` URL with a host. Text that only
//! looks like the start of a link (`[` without its `](…)`) stays text.

use url::Url;
use xwms_api::help::AnswerSpan;

/// The routes help answers may link to. Each is a screen of the app (see xwms-contract.md,
/// "Routes the help texts mention"; `/account/security`, `/account/sessions` and
/// `/account/api-credentials` are its tabs).
pub const ROUTES: &[&str] = &[
    "/sign",
    "/signup",
    "/login",
    "/account",
    "/account/security",
    "/account/sessions",
    "/account/api-credentials",
    "/settings",
    "/contact",
    "/support",
    "/terms",
    "/privacy",
];

/// A piece of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Link { label: &'a str, target: &'a str },
}

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One of [`ROUTES`].
    Route(&'static str),
    /// A web address, opened in the system browser.
    External(Url),
}

/// Classifies a link target; `None` when it is neither a known route nor a well-formed
/// http(s) URL with a host.
pub fn target(text: &str) -> Option<Target> {
    if text.starts_with('/') {
        return ROUTES
            .iter()
            .find(|r| **r == text)
            .map(|r| Target::Route(r));
    }
    let url = Url::parse(text).ok()?;
    let web = matches!(url.scheme(), "https" | "http");
    (web && url.host_str().is_some_and(|h| !h.is_empty()) && url.username().is_empty())
        .then_some(Target::External(url))
}

/// Splits `body` into text and links.
pub fn parse(body: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let bytes = body.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'[' {
            if let Some((label, target, end)) = link_at(body, i) {
                if text_start < i {
                    out.push(Segment::Text(&body[text_start..i]));
                }
                out.push(Segment::Link { label, target });
                i = end;
                text_start = end;
                continue;
            }
        }
        i += 1;
    }
    if text_start < body.len() {
        out.push(Segment::Text(&body[text_start..]));
    }
    out
}

/// `[label](target)` starting at byte `at`: (label, target, byte after `)`).
fn link_at(body: &str, at: usize) -> Option<(&str, &str, usize)> {
    let rest = &body[at + 1..];
    let close = rest.find(']')?;
    let label = &rest[..close];
    if label.is_empty() || label.contains('[') || label.contains('\n') {
        return None;
    }
    let after = &rest[close + 1..];
    let inner = after.strip_prefix('(')?;
    let end = inner.find(')')?;
    let target = &inner[..end];
    if target.is_empty() || target.contains(char::is_whitespace) || target.contains('(') {
        return None;
    }
    Some((label, target, at + 1 + close + 1 + 1 + end + 1))
}

/// The answer as a screen renders it: text and links. A link whose target is neither a
/// known route nor a web address ([`target`]) shows as its label (content is validated, so
/// this only guards against a server's bad content), and one with a blank label as the text
/// it was written as.
pub fn answer(body: &str) -> Vec<AnswerSpan> {
    fn push_text(out: &mut Vec<AnswerSpan>, text: &str) {
        match out.last_mut() {
            _ if text.is_empty() => {}
            Some(AnswerSpan::Text { text: last }) => last.push_str(text),
            _ => out.push(AnswerSpan::Text {
                text: text.to_owned(),
            }),
        }
    }
    let mut out = Vec::new();
    for segment in parse(body) {
        match segment {
            Segment::Text(t) => push_text(&mut out, t),
            Segment::Link { label, target: t } if label.trim().is_empty() => {
                push_text(&mut out, &format!("[{label}]({t})"))
            }
            Segment::Link { label, target: t } => match target(t) {
                Some(kind) => out.push(AnswerSpan::Link {
                    label: label.to_owned(),
                    target: t.to_owned(),
                    external: matches!(kind, Target::External(_)),
                }),
                None => push_text(&mut out, label),
            },
        }
    }
    out
}

/// The answer as plain text: links become their labels.
pub fn plain(body: &str) -> String {
    parse(body)
        .into_iter()
        .map(|s| match s {
            Segment::Text(t) => t,
            Segment::Link { label, .. } => label,
        })
        .collect()
}

/// Problems with the markup of `body`: broken brackets, unknown targets.
pub fn problems(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for segment in parse(body) {
        match segment {
            Segment::Text(t) => {
                if t.contains('[') || t.contains(']') {
                    out.push(format!("a bracket outside a link in {t:?}"));
                }
            }
            Segment::Link { label, target: t } => {
                if target(t).is_none() {
                    out.push(format!(
                        "link [{label}]({t}) points to neither a known screen ({}) nor a web address",
                        ROUTES.join(", ")
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_links_and_text() {
        let body = "Go to [xwms.nl/sign](https://xwms.nl/sign) or use [/signup](/signup).";
        assert_eq!(
            parse(body),
            vec![
                Segment::Text("Go to "),
                Segment::Link {
                    label: "xwms.nl/sign",
                    target: "https://xwms.nl/sign"
                },
                Segment::Text(" or use "),
                Segment::Link {
                    label: "/signup",
                    target: "/signup"
                },
                Segment::Text("."),
            ]
        );
        assert_eq!(plain(body), "Go to xwms.nl/sign or use /signup.");
        assert!(problems(body).is_empty());
    }

    #[test]
    fn broken_links_stay_text_and_are_reported() {
        for body in [
            "a [b] c",
            "a [b](c d) e",
            "[](x)",
            "[x]()",
            "a [b](/nowhere)",
            "a ] b",
        ] {
            assert!(!problems(body).is_empty(), "{body:?}");
        }
        assert_eq!(parse("a [b c"), vec![Segment::Text("a [b c")]);
        assert_eq!(plain("é [ü](/support) ß"), "é ü ß");
    }

    #[test]
    fn targets() {
        assert_eq!(target("/account"), Some(Target::Route("/account")));
        assert_eq!(target("/accounts"), None);
        assert!(matches!(
            target("https://xwms.nl/sign"),
            Some(Target::External(_))
        ));
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://",
            "ftp://x.nl",
            "xwms.nl",
            "https://u:p@x.nl",
        ] {
            assert_eq!(target(bad), None, "{bad}");
        }
    }

    fn text(t: &str) -> AnswerSpan {
        AnswerSpan::Text { text: t.into() }
    }

    fn link(label: &str, target: &str, external: bool) -> AnswerSpan {
        AnswerSpan::Link {
            label: label.into(),
            target: target.into(),
            external,
        }
    }

    #[test]
    fn an_answer_is_text_and_links_to_screens_and_web_addresses() {
        assert_eq!(
            answer("Open the [login page](/login), then [Security](/account/security). See [xwms.nl](https://xwms.nl/sign)."),
            vec![
                text("Open the "),
                link("login page", "/login", false),
                text(", then "),
                link("Security", "/account/security", false),
                text(". See "),
                link("xwms.nl", "https://xwms.nl/sign", true),
                text("."),
            ]
        );
        assert_eq!(
            answer("[a](/sign)[b](http://example.com/x?y=1)"),
            vec![
                link("a", "/sign", false),
                link("b", "http://example.com/x?y=1", true)
            ]
        );
        assert_eq!(answer(""), vec![]);
        assert_eq!(answer("Plain text only."), vec![text("Plain text only.")]);
    }

    #[test]
    fn broken_markup_stays_text_as_written() {
        for body in [
            "An [unclosed bracket and (/sign) text",
            "A ] stray bracket [x] (/sign)",
            "Missing target [label]() here",
            "Space inside [label] (/sign) is no link",
            "Nested [[label]](/sign) stays text",
            "Parens (like this) and [brackets] stay as they are",
            "A [label](/sign with space) target",
            "Click [here](javascript:alert(1)) now",
            "A blank [ ](/sign) label",
        ] {
            assert_eq!(answer(body), vec![text(body)], "{body:?}");
        }
    }

    #[test]
    fn a_link_to_neither_a_screen_nor_a_web_address_shows_as_its_label() {
        for target in [
            "javascript:void0",
            "data:text/html,x",
            "mailto:a@b.c",
            "//evil.example",
            "relative/path",
            "ftp://x.y",
            "/nowhere",
        ] {
            assert_eq!(
                answer(&format!("Click [here]({target}) now")),
                vec![text("Click here now")],
                "{target}"
            );
        }
    }

    #[test]
    fn html_stays_text_and_line_breaks_and_accents_are_kept() {
        assert_eq!(
            answer(r#"<img src=x onerror="alert(1)"> and [<b>bold</b>](/support) & "quotes""#),
            vec![
                text(r#"<img src=x onerror="alert(1)"> and "#),
                link("<b>bold</b>", "/support", false),
                text(r#" & "quotes""#),
            ]
        );
        assert_eq!(
            answer("Réinitialisez 🔑\n[ici](/account/security) — merci"),
            vec![
                text("Réinitialisez 🔑\n"),
                link("ici", "/account/security", false),
                text(" — merci"),
            ]
        );
        let json = serde_json::to_value(answer("[a](/sign) b")).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"kind": "link", "label": "a", "target": "/sign", "external": false},
                {"kind": "text", "text": " b"},
            ])
        );
    }
}
