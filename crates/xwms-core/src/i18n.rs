//! Texts the core itself shows a person (the command line; the desktop UI has its own
//! dictionaries and translates by error code). English, Dutch and French.

use xwms_api::ErrorCode;

use xwms_api::Language;

/// Labels of `xwms info`.
pub struct InfoLabels {
    pub server: &'static str,
    pub version: &'static str,
    pub timezone: &'static str,
    pub locale: &'static str,
    pub time: &'static str,
    pub error: &'static str,
}

pub fn info_labels(lang: Language) -> InfoLabels {
    match lang {
        Language::En => InfoLabels {
            server: "Server",
            version: "Version",
            timezone: "Time zone",
            locale: "Language",
            time: "Server time",
            error: "error",
        },
        Language::Nl => InfoLabels {
            server: "Server",
            version: "Versie",
            timezone: "Tijdzone",
            locale: "Taal",
            time: "Servertijd",
            error: "fout",
        },
        Language::Fr => InfoLabels {
            server: "Serveur",
            version: "Version",
            timezone: "Fuseau horaire",
            locale: "Langue",
            time: "Heure du serveur",
            error: "erreur",
        },
    }
}

/// Texts of `xwms support`.
pub struct SupportLabels {
    pub no_conversations: &'static str,
    pub unread: &'static str,
    /// A message still in the outbox.
    pub sending: &'static str,
    pub failed: &'static str,
    pub you: &'static str,
    /// `{n}` messages sent.
    pub sent: &'static str,
    /// `{n}` messages left in the outbox because the server cannot be reached.
    pub queued: &'static str,
    /// `{id}`: the new conversation's id.
    pub started: &'static str,
    /// Shown above a list or conversation from the copy on this computer; `{at}` its time.
    pub offline_copy: &'static str,
}

pub fn support_labels(lang: Language) -> SupportLabels {
    match lang {
        Language::En => SupportLabels {
            no_conversations: "You have no support conversations.",
            unread: "unread",
            sending: "sending",
            failed: "not sent",
            you: "You",
            sent: "Sent ({n}).",
            queued: "The server cannot be reached: {n} message(s) wait in the outbox and are sent by the next xwms support command or by the app.",
            started: "Conversation started: {id}",
            offline_copy: "Offline: the copy from {at}.",
        },
        Language::Nl => SupportLabels {
            no_conversations: "U hebt geen gesprekken met support.",
            unread: "ongelezen",
            sending: "wordt verzonden",
            failed: "niet verzonden",
            you: "U",
            sent: "Verzonden ({n}).",
            queued: "De server is niet bereikbaar: {n} bericht(en) wachten in de outbox en worden verzonden bij het volgende xwms support-commando of door de app.",
            started: "Gesprek gestart: {id}",
            offline_copy: "Offline: de kopie van {at}.",
        },
        Language::Fr => SupportLabels {
            no_conversations: "Vous n'avez aucune conversation avec le support.",
            unread: "non lu(s)",
            sending: "en cours d'envoi",
            failed: "non envoyé",
            you: "Vous",
            sent: "Envoyé ({n}).",
            queued: "Le serveur est injoignable : {n} message(s) attendent dans la boîte d'envoi et partiront avec la prochaine commande xwms support ou avec l'application.",
            started: "Conversation ouverte : {id}",
            offline_copy: "Hors ligne : la copie du {at}.",
        },
    }
}

/// Texts of `xwms help`.
pub struct HelpLabels {
    pub no_results: &'static str,
    pub tags: &'static str,
    pub category: &'static str,
    /// `{v}`: the version.
    pub up_to_date: &'static str,
    /// `{v}` version, `{c}` changed, `{d}` removed.
    pub updated: &'static str,
    /// `{v}` version, `{c}` articles.
    pub replaced: &'static str,
}

pub fn help_labels(lang: Language) -> HelpLabels {
    match lang {
        Language::En => HelpLabels {
            no_results: "No help articles match your search.",
            tags: "Tags",
            category: "Category",
            up_to_date: "The help is up to date (content version {v}).",
            updated: "The help was updated to content version {v}: {c} changed, {d} removed.",
            replaced: "The help now holds the server's content (version {v}, {c} articles).",
        },
        Language::Nl => HelpLabels {
            no_results: "Er zijn geen helpartikelen die bij uw zoekopdracht passen.",
            tags: "Labels",
            category: "Categorie",
            up_to_date: "De hulp is bijgewerkt (inhoudsversie {v}).",
            updated: "De hulp is bijgewerkt naar inhoudsversie {v}: {c} gewijzigd, {d} verwijderd.",
            replaced: "De hulp bevat nu de inhoud van de server (versie {v}, {c} artikelen).",
        },
        Language::Fr => HelpLabels {
            no_results: "Aucun article d'aide ne correspond à votre recherche.",
            tags: "Mots-clés",
            category: "Catégorie",
            up_to_date: "L'aide est à jour (version du contenu {v}).",
            updated:
                "L'aide a été mise à jour vers la version {v} : {c} modifié(s), {d} supprimé(s).",
            replaced:
                "L'aide contient maintenant le contenu du serveur (version {v}, {c} articles).",
        },
    }
}

/// Texts of `xwms login`, `logout` and `whoami`.
pub struct AccountLabels {
    pub email_prompt: &'static str,
    pub password_prompt: &'static str,
    /// Followed by the account's name and email.
    pub signed_in_as: &'static str,
    pub signed_out: &'static str,
    /// Asks for the second factor at sign-in.
    pub code_prompt: &'static str,
    /// The server asks for a second factor of a kind this version cannot enter.
    pub second_factor_unknown: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub username: &'static str,
    pub timezone: &'static str,
    pub language: &'static str,
    pub server: &'static str,
}

pub fn account_labels(lang: Language) -> AccountLabels {
    match lang {
        Language::En => AccountLabels {
            email_prompt: "Email: ",
            password_prompt: "Password: ",
            signed_in_as: "Signed in as",
            signed_out: "Signed out.",
            code_prompt: "Code from your authenticator app, or a recovery code: ",
            second_factor_unknown: "This account asks for a kind of second step this version cannot enter. Update xwms, or sign in with the XWMS Desktop app.",
            name: "Name",
            email: "Email",
            username: "Username",
            timezone: "Time zone",
            language: "Language",
            server: "Server",
        },
        Language::Nl => AccountLabels {
            email_prompt: "E-mailadres: ",
            password_prompt: "Wachtwoord: ",
            signed_in_as: "Ingelogd als",
            signed_out: "Uitgelogd.",
            code_prompt: "Code uit je authenticator-app, of een herstelcode: ",
            second_factor_unknown: "Dit account vraagt om een soort tweede stap die deze versie niet kan invoeren. Werk xwms bij, of log in met de XWMS Desktop-app.",
            name: "Naam",
            email: "E-mail",
            username: "Gebruikersnaam",
            timezone: "Tijdzone",
            language: "Taal",
            server: "Server",
        },
        Language::Fr => AccountLabels {
            email_prompt: "Adresse e-mail : ",
            password_prompt: "Mot de passe : ",
            signed_in_as: "Connecté en tant que",
            signed_out: "Déconnecté.",
            code_prompt: "Code de votre application d'authentification, ou un code de récupération : ",
            second_factor_unknown: "Ce compte demande un type de seconde étape que cette version ne sait pas saisir. Mettez xwms à jour, ou connectez-vous avec l'application XWMS Desktop.",
            name: "Nom",
            email: "E-mail",
            username: "Nom d'utilisateur",
            timezone: "Fuseau horaire",
            language: "Langue",
            server: "Serveur",
        },
    }
}

/// Texts of `xwms sessions`.
pub struct SessionLabels {
    pub device: &'static str,
    pub os: &'static str,
    pub app: &'static str,
    pub ip: &'static str,
    pub last_active: &'static str,
    /// Marks the session of this command line.
    pub this_device: &'static str,
    pub revoked: &'static str,
    /// `{n}`: how many.
    pub revoked_others: &'static str,
    pub password_prompt: &'static str,
}

pub fn session_labels(lang: Language) -> SessionLabels {
    match lang {
        Language::En => SessionLabels {
            device: "Device",
            os: "OS",
            app: "App",
            ip: "IP address",
            last_active: "Last active",
            this_device: "This device",
            revoked: "The session was ended.",
            revoked_others: "Signed out everywhere else: {n} session(s) ended.",
            password_prompt: "Your password, to confirm: ",
        },
        Language::Nl => SessionLabels {
            device: "Apparaat",
            os: "Besturingssysteem",
            app: "App",
            ip: "IP-adres",
            last_active: "Laatst actief",
            this_device: "Dit apparaat",
            revoked: "De sessie is beëindigd.",
            revoked_others: "Overal elders uitgelogd: {n} sessie(s) beëindigd.",
            password_prompt: "Je wachtwoord, ter bevestiging: ",
        },
        Language::Fr => SessionLabels {
            device: "Appareil",
            os: "Système",
            app: "Application",
            ip: "Adresse IP",
            last_active: "Dernière activité",
            this_device: "Cet appareil",
            revoked: "La session a été fermée.",
            revoked_others: "Déconnecté partout ailleurs : {n} session(s) fermée(s).",
            password_prompt: "Votre mot de passe, pour confirmer : ",
        },
    }
}

/// "Try again in N seconds", for errors that say when a retry makes sense.
pub fn retry_after(lang: Language, seconds: u32) -> String {
    match lang {
        Language::En => format!("Try again in {seconds} s."),
        Language::Nl => format!("Probeer het over {seconds} s opnieuw."),
        Language::Fr => format!("Réessayez dans {seconds} s."),
    }
}

/// Why a session ended, as a person reads it, from the server's revoke reason (see
/// [`xwms_api::security::revoke_reason`]); an unknown reason gets the general text.
pub fn session_ended_message(
    reason: xwms_api::security::RevokeReason,
    lang: Language,
) -> &'static str {
    use xwms_api::security::RevokeReason as R;
    match (lang, reason) {
        (Language::En, R::Removed | R::RemovedWithOthers) => "This device was signed out from another device. Please sign in again.",
        (Language::En, R::NotMe) => "This sign-in was reported as \"Not me\" and has been ended. Sign in again and change your password.",
        (Language::En, R::PasswordChanged | R::PasswordReset) => "Your password was changed, so you were signed out. Sign in with the new password.",
        (Language::En, R::RefreshTokenReused) => "You were signed out to protect your account: this session was used from two places. Please sign in again.",
        (Language::Nl, R::Removed | R::RemovedWithOthers) => "Dit apparaat is vanaf een ander apparaat uitgelogd. Log opnieuw in.",
        (Language::Nl, R::NotMe) => "Deze aanmelding is gemeld als \"Dit was ik niet\" en beëindigd. Log opnieuw in en wijzig je wachtwoord.",
        (Language::Nl, R::PasswordChanged | R::PasswordReset) => "Je wachtwoord is gewijzigd, daarom ben je uitgelogd. Log in met het nieuwe wachtwoord.",
        (Language::Nl, R::RefreshTokenReused) => "Je bent uitgelogd om je account te beschermen: deze sessie werd vanaf twee plekken gebruikt. Log opnieuw in.",
        (Language::Fr, R::Removed | R::RemovedWithOthers) => "Cet appareil a été déconnecté depuis un autre appareil. Veuillez vous reconnecter.",
        (Language::Fr, R::NotMe) => "Cette connexion a été signalée comme « Ce n'était pas moi » et a été fermée. Reconnectez-vous et changez votre mot de passe.",
        (Language::Fr, R::PasswordChanged | R::PasswordReset) => "Votre mot de passe a été modifié, vous avez donc été déconnecté. Connectez-vous avec le nouveau mot de passe.",
        (Language::Fr, R::RefreshTokenReused) => "Vous avez été déconnecté pour protéger votre compte : cette session a été utilisée depuis deux endroits. Veuillez vous reconnecter.",
        (lang, _) => error_message(&ErrorCode::SessionRevoked, lang),
    }
}

/// The person-facing text of each error code, one file per language, shared with the app's UI
/// (`ui/src/lib/i18n/errors/<lang>.json`, keyed by the code's wire string).
static ERROR_TEXTS: std::sync::LazyLock<[std::collections::HashMap<String, String>; 3]> =
    std::sync::LazyLock::new(|| {
        let parse = |json: &str| serde_json::from_str(json).expect("error texts are JSON");
        [
            parse(include_str!("../../../ui/src/lib/i18n/errors/en.json")),
            parse(include_str!("../../../ui/src/lib/i18n/errors/nl.json")),
            parse(include_str!("../../../ui/src/lib/i18n/errors/fr.json")),
        ]
    });

/// The person-facing text of an error code (the same text the app shows).
pub fn error_message(code: &ErrorCode, lang: Language) -> &'static str {
    let texts = &ERROR_TEXTS[lang as usize];
    texts
        .get(code.as_str())
        .or_else(|| texts.get(ErrorCode::Unknown.as_str()))
        .map(String::as_str)
        .unwrap_or_else(|| code.default_message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_text_in_each_language() {
        for lang in [Language::En, Language::Nl, Language::Fr] {
            for code in ErrorCode::ALL {
                assert!(
                    ERROR_TEXTS[lang as usize].contains_key(code.as_str()),
                    "{code} has no text in {lang:?}"
                );
            }
        }
        for code in ErrorCode::ALL {
            let en = error_message(code, Language::En);
            let nl = error_message(code, Language::Nl);
            let fr = error_message(code, Language::Fr);
            assert!(!en.is_empty() && !nl.is_empty() && !fr.is_empty());
            assert_ne!(en, nl, "{code} untranslated in nl");
            assert_ne!(en, fr, "{code} untranslated in fr");
        }
    }

    #[test]
    fn retry_after_names_the_seconds_in_each_language() {
        for lang in [Language::En, Language::Nl, Language::Fr] {
            assert!(retry_after(lang, 46).contains("46"));
        }
        assert_ne!(retry_after(Language::En, 1), retry_after(Language::Nl, 1));
        assert_ne!(retry_after(Language::En, 1), retry_after(Language::Fr, 1));
    }

    #[test]
    fn help_labels_are_translated_and_keep_their_placeholders() {
        let en = help_labels(Language::En);
        for lang in [Language::Nl, Language::Fr] {
            let l = help_labels(lang);
            assert_ne!(l.no_results, en.no_results);
            assert_ne!(l.updated, en.updated);
            for (a, b) in [
                (l.updated, en.updated),
                (l.replaced, en.replaced),
                (l.up_to_date, en.up_to_date),
            ] {
                for p in ["{v}", "{c}", "{d}"] {
                    assert_eq!(a.contains(p), b.contains(p), "{p} in {a}");
                }
            }
        }
    }

    #[test]
    fn account_labels_are_translated() {
        let en = account_labels(Language::En);
        for lang in [Language::Nl, Language::Fr] {
            let l = account_labels(lang);
            assert_ne!(l.signed_in_as, en.signed_in_as);
            assert_ne!(l.signed_out, en.signed_out);
            assert_ne!(l.password_prompt, en.password_prompt);
            assert_ne!(l.code_prompt, en.code_prompt);
            assert_ne!(l.second_factor_unknown, en.second_factor_unknown);
        }
    }

    #[test]
    fn session_labels_are_translated_and_keep_their_placeholder() {
        let en = session_labels(Language::En);
        for lang in [Language::Nl, Language::Fr] {
            let l = session_labels(lang);
            for (a, b) in [
                (l.device, en.device),
                (l.last_active, en.last_active),
                (l.this_device, en.this_device),
                (l.revoked, en.revoked),
                (l.revoked_others, en.revoked_others),
                (l.password_prompt, en.password_prompt),
            ] {
                assert_ne!(a, b);
            }
            assert!(l.revoked_others.contains("{n}"));
        }
        assert!(en.revoked_others.contains("{n}"));
    }

    #[test]
    fn session_ended_messages_name_the_reason_in_each_language() {
        use xwms_api::security::RevokeReason as R;
        for lang in [Language::En, Language::Nl, Language::Fr] {
            let general = error_message(&ErrorCode::SessionRevoked, lang);
            for reason in [
                R::Removed,
                R::RemovedWithOthers,
                R::NotMe,
                R::PasswordChanged,
                R::RefreshTokenReused,
            ] {
                assert_ne!(session_ended_message(reason, lang), general, "{reason}");
            }
            assert_eq!(
                session_ended_message(R::from_wire("something_new"), lang),
                general
            );
            assert_eq!(session_ended_message(R::SignedOut, lang), general);
        }
        assert_ne!(
            session_ended_message(R::NotMe, Language::En),
            session_ended_message(R::NotMe, Language::Fr)
        );
    }

    #[test]
    fn locale_table() {
        for (loc, want) in [
            ("nl_NL.UTF-8", Language::Nl),
            ("nl-BE", Language::Nl),
            ("fr_FR", Language::Fr),
            ("FR", Language::Fr),
            ("de_DE", Language::En),
            ("C", Language::En),
            ("", Language::En),
        ] {
            assert_eq!(Language::from_tag(loc).unwrap_or_default(), want, "{loc}");
        }
    }
}
