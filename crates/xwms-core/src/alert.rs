//! The text of the desktop notification for a sign-in from a new device or network.
//!
//! The notification only *tells*; it asks nothing (see the app's `show_new_sign_in`): it
//! says where to go ("Open XWMS Desktop to confirm it was you"), in English, Dutch or French,
//! and names the device and the IP address, never a token or a code.

use xwms_api::security::{device_parts, SecurityEventInfo};

use xwms_api::Language;

/// Title and body of the notification for `event`.
pub fn new_sign_in_text(lang: Language, event: &SecurityEventInfo) -> (String, String) {
    let device = device_label(event, lang);
    let place = event.ip.trim();
    let what = if place.is_empty() {
        device
    } else {
        format!("{device}, {place}")
    };
    match lang {
        Language::En => (
            "New sign-in to your XWMS account".to_string(),
            format!("{what}. Open XWMS Desktop to confirm it was you."),
        ),
        Language::Nl => (
            "Nieuwe aanmelding bij uw XWMS-account".to_string(),
            format!("{what}. Open XWMS Desktop om te bevestigen dat u het was."),
        ),
        Language::Fr => (
            "Nouvelle connexion à votre compte XWMS".to_string(),
            format!("{what}. Ouvrez XWMS Desktop pour confirmer que c'était vous."),
        ),
    }
}

/// "Firefox on Linux", the app, or "an unknown device" ([`device_parts`], the rule the
/// screens' `device_label` follows too).
fn device_label(event: &SecurityEventInfo, lang: Language) -> String {
    let on = match lang {
        Language::En => "on",
        Language::Nl => "op",
        Language::Fr => "sur",
    };
    match device_parts(
        event.device.as_deref(),
        event.os.as_deref(),
        event.app.as_deref(),
    )[..]
    {
        [device, os] => format!("{device} {on} {os}"),
        [one] => one.to_string(),
        _ => match lang {
            Language::En => "An unknown device".to_string(),
            Language::Nl => "Een onbekend apparaat".to_string(),
            Language::Fr => "Un appareil inconnu".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(device: Option<&str>, os: Option<&str>, ip: &str) -> SecurityEventInfo {
        SecurityEventInfo {
            id: "evt_1".into(),
            kind: xwms_api::security::SecurityEventKind::NewDevice,
            at: "2026-11-25T08:30:00Z".into(),
            ip: ip.into(),
            device: device.map(Into::into),
            os: os.map(Into::into),
            app: Some("xwms-cli".into()),
            device_label: None,
            session_id: Some("ses_1".into()),
            alert: true,
            alert_status: Some(xwms_api::security::AlertStatus::Pending),
            session_active: true,
        }
    }

    #[test]
    fn says_device_and_ip_in_each_language() {
        let e = event(Some("Firefox"), Some("Linux"), "203.0.113.7");
        assert_eq!(
            new_sign_in_text(Language::En, &e),
            (
                "New sign-in to your XWMS account".to_string(),
                "Firefox on Linux, 203.0.113.7. Open XWMS Desktop to confirm it was you."
                    .to_string()
            )
        );
        assert!(new_sign_in_text(Language::Nl, &e)
            .1
            .starts_with("Firefox op Linux, 203.0.113.7."));
        assert!(new_sign_in_text(Language::Fr, &e)
            .1
            .starts_with("Firefox sur Linux, 203.0.113.7."));
    }

    #[test]
    fn falls_back_to_the_app_then_to_an_unknown_device() {
        let e = event(None, None, "198.51.100.2");
        assert!(new_sign_in_text(Language::En, &e)
            .1
            .starts_with("xwms-cli, 198.51.100.2."));
        let mut e = event(None, None, "");
        e.app = None;
        assert!(new_sign_in_text(Language::Nl, &e)
            .1
            .starts_with("Een onbekend apparaat. Open"));
    }
}
