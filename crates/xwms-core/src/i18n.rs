//! Texts the core itself shows a person (the command line; the desktop UI has its own
//! dictionaries and translates by error code). English, Dutch and French.

use xwms_api::ErrorCode;

use crate::settings::Language;

/// A concrete language (never `System`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
    Fr,
}

impl Lang {
    /// Resolves a setting, reading `LC_ALL`, `LC_MESSAGES` or `LANG` for `System`.
    pub fn resolve(language: Language) -> Self {
        match language {
            Language::En => Lang::En,
            Language::Nl => Lang::Nl,
            Language::Fr => Lang::Fr,
            Language::System => ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .filter_map(|k| std::env::var(k).ok())
                .find(|v| !v.is_empty())
                .map(|v| Self::from_locale(&v))
                .unwrap_or(Lang::En),
        }
    }

    /// `nl_NL.UTF-8` → Nl, `fr-BE` → Fr, anything else → En.
    pub fn from_locale(locale: &str) -> Self {
        match locale.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("nl") => Lang::Nl,
            Some("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }
}

/// Labels of `xwms info`.
pub struct InfoLabels {
    pub server: &'static str,
    pub version: &'static str,
    pub timezone: &'static str,
    pub locale: &'static str,
    pub time: &'static str,
    pub error: &'static str,
}

pub fn info_labels(lang: Lang) -> InfoLabels {
    match lang {
        Lang::En => InfoLabels {
            server: "Server",
            version: "Version",
            timezone: "Time zone",
            locale: "Language",
            time: "Server time",
            error: "error",
        },
        Lang::Nl => InfoLabels {
            server: "Server",
            version: "Versie",
            timezone: "Tijdzone",
            locale: "Taal",
            time: "Servertijd",
            error: "fout",
        },
        Lang::Fr => InfoLabels {
            server: "Serveur",
            version: "Version",
            timezone: "Fuseau horaire",
            locale: "Langue",
            time: "Heure du serveur",
            error: "erreur",
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

pub fn help_labels(lang: Lang) -> HelpLabels {
    match lang {
        Lang::En => HelpLabels {
            no_results: "No help articles match your search.",
            tags: "Tags",
            category: "Category",
            up_to_date: "The help is up to date (content version {v}).",
            updated: "The help was updated to content version {v}: {c} changed, {d} removed.",
            replaced: "The help now holds the server's content (version {v}, {c} articles).",
        },
        Lang::Nl => HelpLabels {
            no_results: "Er zijn geen helpartikelen die bij uw zoekopdracht passen.",
            tags: "Labels",
            category: "Categorie",
            up_to_date: "De hulp is bijgewerkt (inhoudsversie {v}).",
            updated: "De hulp is bijgewerkt naar inhoudsversie {v}: {c} gewijzigd, {d} verwijderd.",
            replaced: "De hulp bevat nu de inhoud van de server (versie {v}, {c} artikelen).",
        },
        Lang::Fr => HelpLabels {
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

/// The help center's language for a person's language.
pub fn help_lang(lang: Lang) -> xwms_api::help::HelpLang {
    match lang {
        Lang::En => xwms_api::help::HelpLang::En,
        Lang::Nl => xwms_api::help::HelpLang::Nl,
        Lang::Fr => xwms_api::help::HelpLang::Fr,
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

pub fn account_labels(lang: Lang) -> AccountLabels {
    match lang {
        Lang::En => AccountLabels {
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
        Lang::Nl => AccountLabels {
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
        Lang::Fr => AccountLabels {
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

pub fn session_labels(lang: Lang) -> SessionLabels {
    match lang {
        Lang::En => SessionLabels {
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
        Lang::Nl => SessionLabels {
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
        Lang::Fr => SessionLabels {
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
pub fn retry_after(lang: Lang, seconds: u32) -> String {
    match lang {
        Lang::En => format!("Try again in {seconds} s."),
        Lang::Nl => format!("Probeer het over {seconds} s opnieuw."),
        Lang::Fr => format!("Réessayez dans {seconds} s."),
    }
}

/// Why a session ended, as a person reads it, from the server's revoke reason (see
/// [`xwms_api::security::revoke_reason`]); an unknown reason gets the general text.
pub fn session_ended_message(reason: xwms_api::security::RevokeReason, lang: Lang) -> &'static str {
    use xwms_api::security::RevokeReason as R;
    match (lang, reason) {
        (Lang::En, R::Removed | R::RemovedWithOthers) => "This device was signed out from another device. Please sign in again.",
        (Lang::En, R::NotMe) => "This sign-in was reported as \"Not me\" and has been ended. Sign in again and change your password.",
        (Lang::En, R::PasswordChanged | R::PasswordReset) => "Your password was changed, so you were signed out. Sign in with the new password.",
        (Lang::En, R::RefreshTokenReused) => "You were signed out to protect your account: this session was used from two places. Please sign in again.",
        (Lang::Nl, R::Removed | R::RemovedWithOthers) => "Dit apparaat is vanaf een ander apparaat uitgelogd. Log opnieuw in.",
        (Lang::Nl, R::NotMe) => "Deze aanmelding is gemeld als \"Dit was ik niet\" en beëindigd. Log opnieuw in en wijzig je wachtwoord.",
        (Lang::Nl, R::PasswordChanged | R::PasswordReset) => "Je wachtwoord is gewijzigd, daarom ben je uitgelogd. Log in met het nieuwe wachtwoord.",
        (Lang::Nl, R::RefreshTokenReused) => "Je bent uitgelogd om je account te beschermen: deze sessie werd vanaf twee plekken gebruikt. Log opnieuw in.",
        (Lang::Fr, R::Removed | R::RemovedWithOthers) => "Cet appareil a été déconnecté depuis un autre appareil. Veuillez vous reconnecter.",
        (Lang::Fr, R::NotMe) => "Cette connexion a été signalée comme « Ce n'était pas moi » et a été fermée. Reconnectez-vous et changez votre mot de passe.",
        (Lang::Fr, R::PasswordChanged | R::PasswordReset) => "Votre mot de passe a été modifié, vous avez donc été déconnecté. Connectez-vous avec le nouveau mot de passe.",
        (Lang::Fr, R::RefreshTokenReused) => "Vous avez été déconnecté pour protéger votre compte : cette session a été utilisée depuis deux endroits. Veuillez vous reconnecter.",
        (lang, _) => error_message(&ErrorCode::SessionRevoked, lang),
    }
}

/// The person-facing text of an error code.
pub fn error_message(code: &ErrorCode, lang: Lang) -> &'static str {
    use ErrorCode as C;
    match lang {
        Lang::En => code.default_message(),
        Lang::Nl => match code {
            C::InvalidRequest => "Het verzoek kon niet worden begrepen.",
            C::NotFound => "Niet gevonden.",
            C::MethodNotAllowed => "Deze methode is hier niet toegestaan.",
            C::PayloadTooLarge => "Het verzoek is te groot.",
            C::Internal => "Er ging aan onze kant iets mis. Probeer het opnieuw.",
            C::Unavailable => "De dienst is tijdelijk niet beschikbaar.",
            C::Offline => "De server is niet bereikbaar.",
            C::Timeout => "De server antwoordde niet op tijd.",
            C::BadResponse => "De server stuurde een antwoord dat deze app niet begrijpt.",
            C::InvalidUrl => "Dit is geen geldig webadres.",
            C::UnsupportedScheme => "Het adres moet beginnen met http:// of https://.",
            C::UrlHasCredentials => "Het adres mag geen gebruikersnaam of wachtwoord bevatten.",
            C::SettingsStorage => "Je instellingen konden niet worden opgeslagen.",
            C::KeychainUnavailable => "De sleutelhanger van het systeem is niet beschikbaar.",
            C::FieldRequired => "Dit veld is verplicht.",
            C::FieldTooLong => "Dit veld is te lang.",
            C::FieldInvalid => "Dit veld bevat tekens die niet zijn toegestaan.",
            C::EmailInvalid => "Dit is geen geldig e-mailadres.",
            C::PasswordTooShort => "Het wachtwoord moet minstens 8 tekens hebben.",
            C::PasswordTooLong => "Het wachtwoord is te lang (hoogstens 256 tekens).",
            C::PasswordMissingUpper => "Het wachtwoord moet een hoofdletter bevatten.",
            C::PasswordMissingLower => "Het wachtwoord moet een kleine letter bevatten.",
            C::PasswordMissingDigit => "Het wachtwoord moet een cijfer bevatten.",
            C::PasswordTooCommon => "Dit wachtwoord komt te vaak voor. Kies er een dat moeilijker te raden is.",
            C::InvalidCredentials => "Het e-mailadres of wachtwoord klopt niet.",
            C::EmailUnverified => "Je e-mailadres is nog niet bevestigd. Voer de code in die we je mailden, of vraag een nieuwe aan.",
            C::Locked => "Je account is tijdelijk vergrendeld ter bescherming. We mailden je een code om hem te ontgrendelen.",
            C::Throttled => "Te veel pogingen. Wacht even en probeer het opnieuw.",
            C::Unauthorized => "Log in om verder te gaan.",
            C::SessionExpired => "Je sessie is verlopen. Log opnieuw in.",
            C::SessionRevoked => "Je bent uitgelogd. Log opnieuw in.",
            C::PasswordIncorrect => "Het wachtwoord klopt niet.",
            C::CodeNone => "Er is geen code aangevraagd.",
            C::CodeExpired => "De verificatiecode is verlopen.",
            C::CodeTooSoon => "Wacht even voordat je het opnieuw probeert.",
            C::CodeTooManyAttempts => "Te veel pogingen. Vraag een nieuwe code aan.",
            C::CodeIncorrect => "Onjuiste code.",
            C::CodeResendTooSoon => "Er is net een code verstuurd. Wacht even voordat je een nieuwe aanvraagt.",
            C::UsernameTaken => "Deze gebruikersnaam is al in gebruik.",
            C::UsernameReserved => "Deze gebruikersnaam is gereserveerd. Neem contact op met support voor de mogelijkheden.",
            C::TimezoneInvalid => "Deze tijdzone is onbekend.",
            C::HelpNotFound => "Dit helpartikel bestaat niet (meer).",
            C::HelpCacheFailed => "De offline hulp kon niet worden gelezen of opgeslagen.",
            C::RateLimited => "Te veel verzoeken. Doe het wat rustiger aan.",
            C::Busy => "De server heeft het even erg druk. Probeer het zo nog eens.",
            C::TwoFactorAlreadyEnabled => "Verificatie in twee stappen staat al aan.",
            C::TwoFactorNotEnabled => "Verificatie in twee stappen staat niet aan.",
            C::TwoFactorSetupMissing => "Het instellen is verlopen of niet begonnen. Begin opnieuw.",
            C::TwoFactorCodeIncorrect => "De code klopt niet. Controleer of de klok van je apparaat goed staat en probeer de nieuwste code.",
            C::TwoFactorCodeUsed => "Deze code is al gebruikt. Wacht op de volgende code in je app.",
            C::TwoFactorChallengeExpired => "Het inloggen duurde te lang. Log opnieuw in.",
            C::SessionNotFound => "Deze sessie bestaat niet of is al beëindigd.",
            C::SessionIsCurrent => "Dit is het apparaat dat je nu gebruikt. Log hier uit.",
            C::SecurityEventNotFound => "Deze beveiligingsgebeurtenis bestaat niet.",
            C::ApiClientNotFound => "Deze API-client bestaat niet (meer).",
            C::ApiClientNameTaken => "Je hebt al een API-client met deze naam.",
            C::ApiClientLimit => "Je hebt het maximale aantal API-clients. Verwijder er eerst een.",
            C::ApiClientDisabled => "Deze API-client is uitgeschakeld.",
            C::RealtimeTooManySockets => "Te veel live verbindingen voor deze sessie. Sluit een ander venster van de app en probeer het opnieuw.",
            C::FileSaveFailed => "Het bestand kon niet worden opgeslagen.",
            C::ReauthRequired => "Bevestig je wachtwoord om verder te gaan.",
            C::ServerUnreachable => "De server op dit adres reageert niet. Controleer het adres en probeer het opnieuw.",
            C::NotXwmsServer => "Dit adres hoort niet bij een XWMS-server.",
            C::Unknown => "Er ging iets mis.",
        },
        Lang::Fr => match code {
            C::InvalidRequest => "La requête n'a pas pu être comprise.",
            C::NotFound => "Introuvable.",
            C::MethodNotAllowed => "Cette méthode n'est pas autorisée ici.",
            C::PayloadTooLarge => "La requête est trop volumineuse.",
            C::Internal => "Un problème est survenu de notre côté. Veuillez réessayer.",
            C::Unavailable => "Le service est temporairement indisponible.",
            C::Offline => "Le serveur est injoignable.",
            C::Timeout => "Le serveur n'a pas répondu à temps.",
            C::BadResponse => {
                "Le serveur a envoyé une réponse que cette application ne comprend pas."
            }
            C::InvalidUrl => "Cette adresse web n'est pas valide.",
            C::UnsupportedScheme => "L'adresse doit commencer par http:// ou https://.",
            C::UrlHasCredentials => {
                "L'adresse ne doit pas contenir de nom d'utilisateur ni de mot de passe."
            }
            C::SettingsStorage => "Vos paramètres n'ont pas pu être enregistrés.",
            C::KeychainUnavailable => "Le trousseau du système n'est pas disponible.",
            C::FieldRequired => "Ce champ est obligatoire.",
            C::FieldTooLong => "Ce champ est trop long.",
            C::FieldInvalid => "Ce champ contient des caractères non autorisés.",
            C::EmailInvalid => "Cette adresse e-mail n'est pas valide.",
            C::PasswordTooShort => "Le mot de passe doit contenir au moins 8 caractères.",
            C::PasswordTooLong => "Le mot de passe est trop long (256 caractères au maximum).",
            C::PasswordMissingUpper => "Le mot de passe doit contenir une majuscule.",
            C::PasswordMissingLower => "Le mot de passe doit contenir une minuscule.",
            C::PasswordMissingDigit => "Le mot de passe doit contenir un chiffre.",
            C::PasswordTooCommon => "Ce mot de passe est trop courant. Choisissez-en un plus difficile à deviner.",
            C::InvalidCredentials => "L'adresse e-mail ou le mot de passe est incorrect.",
            C::EmailUnverified => "Votre adresse e-mail n'est pas encore vérifiée. Saisissez le code envoyé par e-mail ou demandez-en un nouveau.",
            C::Locked => "Votre compte est temporairement verrouillé pour le protéger. Nous vous avons envoyé un code pour le déverrouiller.",
            C::Throttled => "Trop de tentatives. Patientez un instant puis réessayez.",
            C::Unauthorized => "Veuillez vous connecter.",
            C::SessionExpired => "Votre session a expiré. Veuillez vous reconnecter.",
            C::SessionRevoked => "Vous avez été déconnecté. Veuillez vous reconnecter.",
            C::PasswordIncorrect => "Le mot de passe est incorrect.",
            C::CodeNone => "Aucun code n'a été demandé.",
            C::CodeExpired => "Le code de vérification a expiré.",
            C::CodeTooSoon => "Veuillez patienter avant de réessayer.",
            C::CodeTooManyAttempts => "Trop de tentatives. Veuillez demander un nouveau code.",
            C::CodeIncorrect => "Code incorrect.",
            C::CodeResendTooSoon => "Un code vient d'être envoyé. Veuillez patienter avant d'en demander un nouveau.",
            C::UsernameTaken => "Ce nom d'utilisateur est déjà pris.",
            C::UsernameReserved => "Ce nom d'utilisateur est réservé. Veuillez contacter l'assistance pour connaître les options.",
            C::TimezoneInvalid => "Ce fuseau horaire est inconnu.",
            C::HelpNotFound => "Cet article d'aide n'existe pas (ou plus).",
            C::HelpCacheFailed => "L'aide hors ligne n'a pas pu être lue ni enregistrée.",
            C::RateLimited => "Trop de requêtes. Veuillez ralentir.",
            C::Busy => "Le serveur est très sollicité. Veuillez réessayer dans un instant.",
            C::TwoFactorAlreadyEnabled => "La validation en deux étapes est déjà activée.",
            C::TwoFactorNotEnabled => "La validation en deux étapes n'est pas activée.",
            C::TwoFactorSetupMissing => "La configuration a expiré ou n'a pas été commencée. Veuillez recommencer.",
            C::TwoFactorCodeIncorrect => "Le code est incorrect. Vérifiez que l'horloge de votre appareil est à l'heure et essayez le code le plus récent.",
            C::TwoFactorCodeUsed => "Ce code a déjà été utilisé. Attendez le code suivant dans votre application.",
            C::TwoFactorChallengeExpired => "La connexion a pris trop de temps. Veuillez vous reconnecter.",
            C::SessionNotFound => "Cette session n'existe pas ou est déjà terminée.",
            C::SessionIsCurrent => "C'est l'appareil que vous utilisez. Déconnectez-vous plutôt.",
            C::SecurityEventNotFound => "Cet événement de sécurité n'existe pas.",
            C::ApiClientNotFound => "Ce client API n'existe pas (ou plus).",
            C::ApiClientNameTaken => "Vous avez déjà un client API portant ce nom.",
            C::ApiClientLimit => "Vous avez atteint le nombre maximal de clients API. Supprimez-en un d'abord.",
            C::ApiClientDisabled => "Ce client API est désactivé.",
            C::RealtimeTooManySockets => "Trop de connexions en direct pour cette session. Fermez une autre fenêtre de l'application et réessayez.",
            C::FileSaveFailed => "Le fichier n'a pas pu être enregistré.",
            C::ReauthRequired => "Confirmez votre mot de passe pour continuer.",
            C::ServerUnreachable => "Le serveur à cette adresse ne répond pas. Vérifiez l'adresse et réessayez.",
            C::NotXwmsServer => "Cette adresse n'est pas celle d'un serveur XWMS.",
            C::Unknown => "Un problème est survenu.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_text_per_language() {
        for code in ErrorCode::ALL {
            let en = error_message(code, Lang::En);
            let nl = error_message(code, Lang::Nl);
            let fr = error_message(code, Lang::Fr);
            assert!(!en.is_empty() && !nl.is_empty() && !fr.is_empty());
            assert_ne!(en, nl, "{code} untranslated in nl");
            assert_ne!(en, fr, "{code} untranslated in fr");
        }
    }

    #[test]
    fn retry_after_names_the_seconds_in_each_language() {
        for lang in [Lang::En, Lang::Nl, Lang::Fr] {
            assert!(retry_after(lang, 46).contains("46"));
        }
        assert_ne!(retry_after(Lang::En, 1), retry_after(Lang::Nl, 1));
        assert_ne!(retry_after(Lang::En, 1), retry_after(Lang::Fr, 1));
    }

    #[test]
    fn help_labels_are_translated_and_keep_their_placeholders() {
        let en = help_labels(Lang::En);
        for lang in [Lang::Nl, Lang::Fr] {
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
        let en = account_labels(Lang::En);
        for lang in [Lang::Nl, Lang::Fr] {
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
        let en = session_labels(Lang::En);
        for lang in [Lang::Nl, Lang::Fr] {
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
        for lang in [Lang::En, Lang::Nl, Lang::Fr] {
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
            session_ended_message(R::NotMe, Lang::En),
            session_ended_message(R::NotMe, Lang::Fr)
        );
    }

    #[test]
    fn locale_table() {
        for (loc, want) in [
            ("nl_NL.UTF-8", Lang::Nl),
            ("nl-BE", Lang::Nl),
            ("fr_FR", Lang::Fr),
            ("FR", Lang::Fr),
            ("de_DE", Lang::En),
            ("C", Lang::En),
            ("", Lang::En),
        ] {
            assert_eq!(Lang::from_locale(loc), want, "{loc}");
        }
    }
}
