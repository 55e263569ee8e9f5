//! Synonym groups per language, as data.
//!
//! A group is a concept (`2fa`) and the words and phrases people use for it (`two factor`,
//! `authenticator`, `mfa`, …), written folded (lower case, no accents; see
//! [`crate::words::fold`]), words separated by one space. When analysed text contains one of
//! them, the concept term `=2fa` is added beside the words' own stems, in articles and queries
//! alike, so any wording of the group finds any other.
//!
//! Inflected forms are listed where the stemmer does not join them (`logged in`, `signing in`).

use std::collections::HashMap;
use std::sync::OnceLock;

use xwms_api::help::Language;

use crate::words::Word;

type Groups = &'static [(&'static str, &'static [&'static str])];

const EN: Groups = &[
    (
        "2fa",
        &[
            "2fa",
            "two factor",
            "2 factor",
            "two step",
            "2 step",
            "2 step verification",
            "mfa",
            "multi factor",
            "multifactor",
            "second factor",
            "authenticator",
            "authenticators",
            "authenticator app",
            "totp",
            "otp",
        ],
    ),
    (
        "signin",
        &[
            "sign in",
            "signin",
            "signing in",
            "signed in",
            "sign on",
            "log in",
            "login",
            "logins",
            "logon",
            "log on",
            "logging in",
            "logged in",
        ],
    ),
    (
        "signup",
        &[
            "sign up",
            "signup",
            "signing up",
            "register",
            "registering",
            "registration",
            "create account",
            "create an account",
            "creating an account",
            "new account",
            "join",
        ],
    ),
    (
        "signout",
        &[
            "sign out",
            "signout",
            "signing out",
            "log out",
            "logout",
            "logging out",
            "log off",
        ],
    ),
    (
        "password",
        &["password", "passwords", "passphrase", "pass word", "pwd"],
    ),
    (
        "email",
        &[
            "email",
            "emails",
            "e mail",
            "mail",
            "mails",
            "mailbox",
            "inbox",
            "email address",
        ],
    ),
    (
        "delete",
        &[
            "delete",
            "deleting",
            "deletion",
            "remove",
            "removing",
            "erase",
            "close my account",
            "cancel my account",
        ],
    ),
    (
        "device",
        &[
            "session", "sessions", "device", "devices", "computer", "phone",
        ],
    ),
    (
        "locked",
        &[
            "locked",
            "lock",
            "lockout",
            "locked out",
            "blocked",
            "block",
            "frozen",
        ],
    ),
    (
        "hacked",
        &[
            "hacked",
            "compromised",
            "breached",
            "stolen",
            "unauthorized",
            "unauthorised",
            "someone else",
            "intruder",
        ],
    ),
    (
        "recover",
        &[
            "recover",
            "recovery",
            "recovering",
            "regain",
            "restore",
            "lost access",
            "get back",
            "cant access",
            "cannot access",
        ],
    ),
    (
        "passkey",
        &[
            "passkey",
            "passkeys",
            "passwordless",
            "webauthn",
            "fido",
            "fido2",
        ],
    ),
    ("sso", &["sso", "single sign on", "saml"]),
    (
        "alert",
        &[
            "alert",
            "alerts",
            "notification",
            "notifications",
            "warning",
            "warnings",
            "notified",
        ],
    ),
    ("timezone", &["timezone", "time zone", "timezones"]),
    (
        "export",
        &[
            "export",
            "exporting",
            "download my data",
            "data export",
            "takeout",
            "copy of my data",
        ],
    ),
    (
        "suspend",
        &[
            "suspended",
            "suspension",
            "suspend",
            "banned",
            "ban",
            "deactivated",
        ],
    ),
    (
        "support",
        &[
            "support",
            "contact",
            "helpdesk",
            "help desk",
            "customer service",
            "agent",
        ],
    ),
    ("username", &["username", "user name", "handle", "nickname"]),
    (
        "credentials",
        &[
            "credentials",
            "api key",
            "api keys",
            "client secret",
            "client id",
            "secret key",
            "keys",
        ],
    ),
];

const NL: Groups = &[
    (
        "2fa",
        &[
            "2fa",
            "tweestapsverificatie",
            "twee staps verificatie",
            "tweestaps",
            "tweefactorauthenticatie",
            "twee factor",
            "tweefactor",
            "mfa",
            "authenticator",
            "authenticator app",
            "authenticatie app",
            "authenticatorapp",
            "totp",
            "otp",
        ],
    ),
    (
        "signin",
        &[
            "inloggen",
            "log in",
            "login",
            "ingelogd",
            "inlog",
            "aanmelden",
            "aangemeld",
            "sign in",
        ],
    ),
    (
        "signup",
        &[
            "registreren",
            "registratie",
            "account aanmaken",
            "aanmaken",
            "inschrijven",
            "nieuw account",
            "sign up",
            "signup",
        ],
    ),
    (
        "signout",
        &["uitloggen", "uitgelogd", "afmelden", "log uit", "logout"],
    ),
    (
        "password",
        &["wachtwoord", "wachtwoorden", "paswoord", "password"],
    ),
    (
        "email",
        &[
            "email",
            "e mail",
            "mail",
            "mailadres",
            "e mailadres",
            "emailadres",
            "inbox",
            "mailbox",
        ],
    ),
    (
        "delete",
        &[
            "verwijderen",
            "verwijder",
            "verwijdering",
            "opzeggen",
            "wissen",
            "opheffen",
        ],
    ),
    (
        "device",
        &[
            "sessie",
            "sessies",
            "apparaat",
            "apparaten",
            "computer",
            "telefoon",
        ],
    ),
    (
        "locked",
        &[
            "geblokkeerd",
            "blokkeren",
            "vergrendeld",
            "blokkade",
            "buitengesloten",
            "op slot",
            "vergrendeling",
        ],
    ),
    (
        "hacked",
        &[
            "gehackt",
            "gehacked",
            "overgenomen",
            "gestolen",
            "onbevoegd",
            "iemand anders",
            "inbreker",
        ],
    ),
    (
        "recover",
        &[
            "herstel",
            "herstellen",
            "terugkrijgen",
            "toegang kwijt",
            "herstelproces",
            "accountherstel",
        ],
    ),
    (
        "passkey",
        &[
            "passkey",
            "passkeys",
            "wachtwoordloos",
            "zonder wachtwoord",
            "webauthn",
        ],
    ),
    ("sso", &["sso", "single sign on", "eenmalige aanmelding"]),
    (
        "alert",
        &[
            "melding",
            "meldingen",
            "waarschuwing",
            "waarschuwingen",
            "notificatie",
            "notificaties",
            "beveiligingsmelding",
        ],
    ),
    ("timezone", &["tijdzone", "tijdzones", "tijd zone"]),
    (
        "export",
        &[
            "exporteren",
            "export",
            "gegevens downloaden",
            "data downloaden",
        ],
    ),
    (
        "suspend",
        &[
            "geschorst",
            "schorsing",
            "opgeschort",
            "verbannen",
            "gedeactiveerd",
        ],
    ),
    (
        "support",
        &[
            "ondersteuning",
            "support",
            "klantenservice",
            "contact",
            "helpdesk",
            "medewerker",
        ],
    ),
    ("username", &["gebruikersnaam", "gebruikersnamen"]),
    (
        "credentials",
        &[
            "api sleutel",
            "api sleutels",
            "client secret",
            "client id",
            "sleutels",
            "api gegevens",
        ],
    ),
];

const FR: Groups = &[
    (
        "2fa",
        &[
            "2fa",
            "a2f",
            "double authentification",
            "authentification a deux facteurs",
            "deux facteurs",
            "double facteur",
            "mfa",
            "authentificateur",
            "authenticator",
            "application d authentification",
            "verification en deux etapes",
            "deux etapes",
            "totp",
            "otp",
        ],
    ),
    (
        "signin",
        &[
            "se connecter",
            "connecter",
            "connexion",
            "connexions",
            "connecte",
            "login",
            "identifier",
            "m identifier",
            "s identifier",
        ],
    ),
    (
        "signup",
        &[
            "inscription",
            "inscrire",
            "s inscrire",
            "m inscrire",
            "creer un compte",
            "creer compte",
            "nouveau compte",
            "creation de compte",
            "creation du compte",
        ],
    ),
    (
        "signout",
        &["deconnexion", "deconnecter", "se deconnecter", "deconnecte"],
    ),
    (
        "password",
        &["mot de passe", "mots de passe", "mdp", "password"],
    ),
    (
        "email",
        &[
            "email",
            "e mail",
            "courriel",
            "courriels",
            "mail",
            "mails",
            "adresse e mail",
            "adresse mail",
            "boite mail",
            "boite de reception",
        ],
    ),
    (
        "delete",
        &[
            "supprimer",
            "suppression",
            "effacer",
            "fermer mon compte",
            "clore",
        ],
    ),
    (
        "device",
        &[
            "session",
            "sessions",
            "appareil",
            "appareils",
            "ordinateur",
            "telephone",
        ],
    ),
    (
        "locked",
        &[
            "bloque",
            "bloquee",
            "verrouille",
            "verrouillee",
            "blocage",
            "verrouillage",
        ],
    ),
    (
        "hacked",
        &[
            "pirate",
            "piratee",
            "compromis",
            "compromise",
            "vole",
            "quelqu un d autre",
            "non autorise",
            "intrus",
        ],
    ),
    (
        "recover",
        &[
            "recuperer",
            "recuperation",
            "retrouver",
            "restaurer",
            "acces perdu",
            "plus acces",
        ],
    ),
    (
        "passkey",
        &[
            "passkey",
            "passkeys",
            "cle d acces",
            "cles d acces",
            "sans mot de passe",
            "webauthn",
        ],
    ),
    ("sso", &["sso", "authentification unique", "single sign on"]),
    (
        "alert",
        &[
            "alerte",
            "alertes",
            "notification",
            "notifications",
            "avertissement",
        ],
    ),
    (
        "timezone",
        &["fuseau horaire", "fuseaux horaires", "fuseau"],
    ),
    (
        "export",
        &[
            "exporter",
            "exportation",
            "export",
            "telecharger mes donnees",
        ],
    ),
    (
        "suspend",
        &[
            "suspendu",
            "suspendue",
            "suspension",
            "banni",
            "bannie",
            "desactive",
        ],
    ),
    (
        "support",
        &[
            "assistance",
            "support",
            "service client",
            "contact",
            "contacter",
            "agent",
        ],
    ),
    ("username", &["nom d utilisateur", "pseudo", "identifiant"]),
    (
        "credentials",
        &[
            "identifiants api",
            "cle api",
            "cles api",
            "client secret",
            "client id",
            "secret client",
        ],
    ),
];

fn groups(lang: Language) -> Groups {
    match lang {
        Language::En => EN,
        Language::Nl => NL,
        Language::Fr => FR,
    }
}

/// Per language: last word of a phrase → (the phrase's words, concept).
type PhraseTable = HashMap<&'static str, Vec<(Vec<&'static str>, &'static str)>>;

fn table(lang: Language) -> &'static PhraseTable {
    static TABLES: OnceLock<[PhraseTable; 3]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        Language::ALL.map(|lang| {
            let mut t: PhraseTable = HashMap::new();
            for (concept, phrases) in groups(lang) {
                for phrase in *phrases {
                    let words: Vec<&str> = phrase.split(' ').collect();
                    let last = *words.last().expect("a phrase has a word");
                    t.entry(last).or_default().push((words, concept));
                }
            }
            t
        })
    });
    &tables[lang.index()]
}

/// The concepts whose phrase ends with `words[i]`, each with the phrase's length in words.
/// A concept is given once even when several of its phrases end here.
pub fn ending_at(lang: Language, words: &[Word], i: usize) -> Vec<(usize, &'static str)> {
    let Some(candidates) = table(lang).get(words[i].folded.as_str()) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for (phrase, concept) in candidates {
        let len = phrase.len();
        if len > i + 1 {
            continue;
        }
        let matches = phrase
            .iter()
            .zip(&words[i + 1 - len..=i])
            .all(|(p, w)| *p == w.folded);
        if matches {
            match found.iter_mut().find(|(_, c)| c == concept) {
                // Keep the longest phrase of a concept, for the widest highlight.
                Some(existing) => existing.0 = existing.0.max(len),
                None => found.push((len, concept)),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{fold, words};

    #[test]
    fn phrases_are_written_folded() {
        for lang in Language::ALL {
            for (concept, phrases) in groups(lang) {
                assert!(!concept.is_empty());
                for p in *phrases {
                    let w: Vec<_> = words(p).into_iter().map(|w| w.folded).collect();
                    assert_eq!(w.join(" "), *p, "{lang}: {p:?} is not folded and split");
                    assert_eq!(fold(p), *p);
                }
            }
        }
    }

    #[test]
    fn phrases_are_found_at_their_last_word() {
        let w = words("How do I log in with two-factor?");
        let at = |i| ending_at(Language::En, &w, i);
        assert_eq!(at(4), vec![(2, "signin")]); // "log in"
        assert_eq!(at(7), vec![(2, "2fa")]); // "two factor"
        assert!(at(0).is_empty());
        let w = words("mot de passe oublié");
        assert_eq!(ending_at(Language::Fr, &w, 2), vec![(3, "password")]);
    }
}
