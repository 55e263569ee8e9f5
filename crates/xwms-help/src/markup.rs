//! The one markup of an answer: links, `[label](target)`. Everything else is plain text, so
//! a screen renders an answer without ever interpreting HTML.
//!
//! A target is an app route ([`ROUTES`]) or an `http(s)://` URL with a host. Text that only
//! looks like the start of a link (`[` without its `](…)`) stays text.

use url::Url;

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
}
