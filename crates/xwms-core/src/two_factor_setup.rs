//! Setting up two-step verification, the pieces that need no server: the 2FA enrolment as the
//! app shows it (the secret in typing groups, the QR code rendered here from the otpauth URI)
//! and the recovery-codes file.
//!
//! The calls themselves are methods of [`crate::account::AccountSession`]
//! (`account/security.rs`, which uses this module).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use xwms_api::security::TwoFactorSetup;
use xwms_api::ErrorCode;

use crate::secret::Secret;
use crate::CoreError;
use xwms_api::Language;

/// The QR code's smallest side in pixels (modules are whole pixels, so it comes out at this
/// or a little more).
pub const QR_MIN_PIXELS: u32 = 240;

/// A pending 2FA enrolment, ready to show: scan the QR code or type the secret, then confirm
/// with a code ([`crate::account::AccountSession::enable_two_factor`]) before `expires_at`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TwoFactorEnrolment {
    /// The shared secret, base32 without padding.
    pub secret: Secret,
    /// The same secret in groups of four separated by spaces, for typing it in
    /// (`JBSW Y3DP EHPK 3PXP ...`).
    pub secret_groups: Secret,
    /// `otpauth://totp/XWMS:<email>?secret=...`: what the QR code holds.
    pub otpauth_uri: Secret,
    /// An SVG document (no XML declaration, so it can go straight into a page): dark modules
    /// on white with a four-module quiet zone, about [`QR_MIN_PIXELS`] px, error correction M.
    /// It encodes the secret: treat it like one.
    pub qr_svg: String,
    pub issuer: String,
    /// The account's email address, as authenticator apps show it.
    pub account_name: String,
    pub digits: u32,
    pub period_seconds: u32,
    pub algorithm: String,
    /// RFC 3339: after this the pending secret is forgotten (start again).
    pub expires_at: String,
}

impl std::fmt::Debug for TwoFactorEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorEnrolment")
            .field("secret", &self.secret)
            .field("qr_svg", &format_args!("<{} bytes>", self.qr_svg.len()))
            .field("issuer", &self.issuer)
            .field("account_name", &self.account_name)
            .field("digits", &self.digits)
            .field("period_seconds", &self.period_seconds)
            .field("algorithm", &self.algorithm)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TwoFactorEnrolment {
    /// The enrolment the server started, with its QR code rendered.
    pub fn from_setup(setup: TwoFactorSetup) -> Result<Self, CoreError> {
        let qr_svg = qr_svg(&setup.otpauth_uri)?;
        Ok(Self {
            secret_groups: secret_groups(&setup.secret),
            secret: setup.secret.clone(),
            otpauth_uri: setup.otpauth_uri.clone(),
            qr_svg,
            issuer: setup.issuer.clone(),
            account_name: setup.account_name.clone(),
            digits: setup.digits,
            period_seconds: setup.period_seconds,
            algorithm: setup.algorithm.clone(),
            expires_at: setup.expires_at.clone(),
        })
    }
}

/// A base32 secret in groups of four, upper case, separated by spaces.
pub fn secret_groups(secret: &Secret) -> Secret {
    let chars: Vec<char> = secret
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    Secret::new(groups.join(" "))
}

/// `text` as a QR code in SVG: error correction M, dark on white, quiet zone, at least
/// [`QR_MIN_PIXELS`] px square.
pub fn qr_svg(text: &Secret) -> Result<String, CoreError> {
    let code = QrCode::with_error_correction_level(text.expose().as_bytes(), EcLevel::M)
        .map_err(|e| CoreError::new(ErrorCode::Internal).with_detail(format!("QR code: {e}")))?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(QR_MIN_PIXELS, QR_MIN_PIXELS)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The renderer starts with an XML declaration, which does not belong inside a page.
    match svg.find("<svg") {
        Some(start) => Ok(svg[start..].to_string()),
        None => Err(CoreError::new(ErrorCode::Internal).with_detail("QR renderer gave no <svg>")),
    }
}

/// The text of the recovery-codes file (or print-out): title, account, date, the codes
/// numbered, and how to use and keep them. `generated_at` is RFC 3339 (shown as a UTC date
/// and time) or already formatted for the person (shown as given).
pub fn recovery_codes_text(
    codes: &[Secret],
    account: &str,
    generated_at: &str,
    lang: Language,
) -> String {
    let t = recovery_text_labels(lang);
    let when =
        time::OffsetDateTime::parse(generated_at, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(|at| {
                let format =
                    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
                at.to_offset(time::UtcOffset::UTC).format(&format).ok()
            })
            .unwrap_or_else(|| generated_at.to_string());
    let width = codes.len().to_string().len();
    let mut out = String::new();
    out.push_str(t.title);
    out.push_str("\n\n");
    out.push_str(&format!("{}{account}\n", t.account));
    out.push_str(&format!("{}{when}\n\n", t.generated));
    for (i, code) in codes.iter().enumerate() {
        out.push_str(&format!("{:>width$}. {}\n", i + 1, code.expose()));
    }
    out.push('\n');
    out.push_str(t.once);
    out.push('\n');
    out.push_str(t.safe);
    out.push('\n');
    out
}

struct RecoveryTextLabels {
    title: &'static str,
    account: &'static str,
    generated: &'static str,
    once: &'static str,
    safe: &'static str,
}

fn recovery_text_labels(lang: Language) -> RecoveryTextLabels {
    match lang {
        Language::En => RecoveryTextLabels {
            title: "XWMS recovery codes for two-step verification",
            account: "Account: ",
            generated: "Generated: ",
            once: "Each code works once. Use one to sign in when you cannot use your authenticator app.",
            safe: "Keep them somewhere safe, apart from your devices. A new set makes these codes stop working.",
        },
        Language::Nl => RecoveryTextLabels {
            title: "XWMS-herstelcodes voor verificatie in twee stappen",
            account: "Account: ",
            generated: "Aangemaakt: ",
            once: "Elke code werkt één keer. Gebruik er een om in te loggen als je je authenticator-app niet kunt gebruiken.",
            safe: "Bewaar ze op een veilige plek, los van je apparaten. Met een nieuwe set werken deze codes niet meer.",
        },
        Language::Fr => RecoveryTextLabels {
            title: "Codes de récupération XWMS pour la validation en deux étapes",
            account: "Compte : ",
            generated: "Date : ",
            once: "Chaque code ne fonctionne qu'une fois. Utilisez-en un pour vous connecter si vous ne pouvez pas utiliser votre application d'authentification.",
            safe: "Conservez-les en lieu sûr, à l'écart de vos appareils. Un nouveau jeu rend ces codes inutilisables.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_groups_are_fours_in_upper_case() {
        for (secret, want) in [
            (
                "jbswy3dpehpk3pxpjbswy3dpehpk3pxp",
                "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
            ),
            ("ABCDEF", "ABCD EF"),
            ("AB CD==", "ABCD"),
            ("", ""),
        ] {
            assert_eq!(secret_groups(&Secret::new(secret)).expose(), want);
        }
    }

    fn setup() -> TwoFactorSetup {
        TwoFactorSetup {
            secret: Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            otpauth_uri: Secret::new(
                "otpauth://totp/XWMS:anna%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=XWMS&algorithm=SHA1&digits=6&period=30",
            ),
            issuer: "XWMS".into(),
            account_name: "anna@example.com".into(),
            digits: 6,
            period_seconds: 30,
            algorithm: "SHA1".into(),
            expires_at: "2026-12-02T08:00:00Z".into(),
        }
    }

    #[test]
    fn enrolment_svg_is_a_square_dark_on_white_qr_of_about_240_px() {
        let e = TwoFactorEnrolment::from_setup(setup()).unwrap();
        assert_eq!(
            e.secret_groups.expose(),
            "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
        );
        let svg = &e.qr_svg;
        assert!(svg.starts_with("<svg"), "{svg:.80}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("#ffffff") && svg.contains("#000000"));
        let attr = |name: &str| -> u32 {
            let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        let (w, h) = (attr("width"), attr("height"));
        assert_eq!(w, h);
        assert!((QR_MIN_PIXELS..=QR_MIN_PIXELS * 3 / 2).contains(&w), "{w}");
        // The module grid: version v has 17 + 4v modules, plus 4 of quiet zone on each side.
        let code = QrCode::with_error_correction_level(e.otpauth_uri.expose(), EcLevel::M).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
        let modules = code.width() as u32 + 8;
        assert_eq!(w % modules, 0, "{w} px for {modules} modules: whole pixels");
        // The secret is not in the clear in the picture, nor in Debug.
        assert!(!svg.contains("JBSWY3DP"));
        let debug = format!("{e:?}");
        assert!(
            !debug.contains("JBSW") && !debug.contains("<svg"),
            "{debug}"
        );
    }

    /// Rasterises the renderer's SVG (a white `<rect>` and one black `<path>` of axis-aligned
    /// rectangles, `M x y h w v h H x V y`) into grey pixels, checking those colours.
    fn rasterise(svg: &str) -> (usize, Vec<u8>) {
        let attr = |tag: &str, name: &str| -> String {
            let at = svg.find(tag).unwrap();
            let rest = &svg[at..];
            let start = rest.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            rest[start..].split('"').next().unwrap().to_string()
        };
        let size: usize = attr("<svg", "width").parse().unwrap();
        assert_eq!(attr("<rect", "fill"), "#ffffff", "light background");
        assert_eq!(
            attr("<rect", "width"),
            size.to_string(),
            "background covers all"
        );
        assert_eq!(attr("<path", "fill"), "#000000", "dark modules");
        let d = attr("<path", "d");
        let mut pixels = vec![255u8; size * size];
        let mut tokens = Vec::new();
        let mut number = String::new();
        for c in d.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            if !number.is_empty() {
                tokens.push(std::mem::take(&mut number));
            }
            if c.is_ascii_alphabetic() {
                tokens.push(c.to_string());
            }
        }
        if !number.is_empty() {
            tokens.push(number);
        }
        let mut it = tokens.into_iter().peekable();
        let num = |t: Option<String>| -> f64 { t.unwrap().parse().unwrap() };
        let (mut x, mut y) = (0.0f64, 0.0f64);
        let mut corners: Vec<(f64, f64)> = Vec::new();
        let mut fill = |corners: &mut Vec<(f64, f64)>| {
            if corners.is_empty() {
                return;
            }
            let (x0, x1) = corners
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
            let (y0, y1) = corners
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            for py in y0 as usize..y1 as usize {
                for px in x0 as usize..x1 as usize {
                    pixels[py * size + px] = 0;
                }
            }
            corners.clear();
        };
        while let Some(cmd) = it.next() {
            match cmd.as_str() {
                "M" => {
                    fill(&mut corners);
                    x = num(it.next());
                    y = num(it.next());
                }
                "h" => x += num(it.next()),
                "v" => y += num(it.next()),
                "H" => x = num(it.next()),
                "V" => y = num(it.next()),
                "z" | "Z" => {}
                other => panic!("path command {other} not expected from the renderer"),
            }
            corners.push((x, y));
        }
        fill(&mut corners);
        (size, pixels)
    }

    /// Decodes the picture with a real QR reader (rqrr, pure Rust).
    #[test]
    fn enrolment_qr_scans_back_to_the_otpauth_uri_with_a_quiet_zone() {
        let e = TwoFactorEnrolment::from_setup(setup()).unwrap();
        let (size, pixels) = rasterise(&e.qr_svg);
        let code = QrCode::with_error_correction_level(e.otpauth_uri.expose(), EcLevel::M).unwrap();
        let module = size / (code.width() + 8);
        let quiet = 4 * module;
        for y in 0..size {
            for x in 0..size {
                let border = x < quiet || y < quiet || x >= size - quiet || y >= size - quiet;
                if border {
                    assert_eq!(pixels[y * size + x], 255, "quiet zone at {x},{y}");
                }
            }
        }
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| pixels[y * size + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        let (meta, text) = grids[0].decode().unwrap();
        assert_eq!(text, e.otpauth_uri.expose());
        assert_eq!(
            meta.ecc_level, 0,
            "error correction M (rqrr numbers M as 0)"
        );
    }

    #[test]
    fn recovery_codes_text_in_three_languages() {
        let codes: Vec<Secret> = (0..10)
            .map(|i| Secret::new(format!("ab{i}d-ef{i}h")))
            .collect();
        let en = recovery_codes_text(
            &codes,
            "anna@example.com",
            "2026-12-02T07:48:30Z",
            Language::En,
        );
        assert!(en.starts_with("XWMS recovery codes"), "{en}");
        assert!(en.contains("Account: anna@example.com\n"), "{en}");
        assert!(en.contains("Generated: 2026-12-02 07:48 UTC\n"), "{en}");
        assert!(
            en.contains(" 1. ab0d-ef0h\n") && en.contains("10. ab9d-ef9h\n"),
            "{en}"
        );
        assert!(en.contains("Each code works once."), "{en}");
        assert!(en.contains("Keep them somewhere safe"), "{en}");
        let nl = recovery_codes_text(
            &codes,
            "anna@example.com",
            "2026-12-02T08:48:30+01:00",
            Language::Nl,
        );
        assert!(nl.contains("Elke code werkt één keer."), "{nl}");
        assert!(nl.contains("Aangemaakt: 2026-12-02 07:48 UTC"), "{nl}");
        assert!(nl.contains("veilige plek"), "{nl}");
        let fr = recovery_codes_text(
            &codes,
            "anna@example.com",
            "2 déc. 2026 08:48",
            Language::Fr,
        );
        assert!(fr.contains("Date : 2 déc. 2026 08:48"), "{fr}");
        assert!(fr.contains("ne fonctionne qu'une fois"), "{fr}");
        assert!(fr.contains("en lieu sûr"), "{fr}");
        for text in [&en, &nl, &fr] {
            assert_eq!(text.matches("-ef").count(), 10);
        }
    }
}
