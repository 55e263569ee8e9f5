//! The text of every mail in English, Dutch and French, as plain text and HTML.
//!
//! Each mail is a subject and a few paragraphs, with the code (if any) on a line of its own;
//! [`render`] adds the greeting, the sign-off and the footer, and escapes every fact in the HTML.
//! Dutch uses the formal "u", as XWMS's own Dutch texts do.

use time::OffsetDateTime;

use super::MailKind;
use xwms_api::Language;

/// The facts a mail mentions; each kind uses some of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFacts {
    /// The person's name, for the greeting (empty: a greeting without a name).
    pub name: String,
    pub code: Option<String>,
    /// How long the code is valid.
    pub minutes: u32,
    /// The address a mail is about (the new address of an email change).
    pub email: String,
    /// A recovery request's reference.
    pub reference: String,
    /// Working days within which support answers.
    pub days: u32,
    pub ip: String,
    /// e.g. `anna-laptop (linux, XWMS-Desktop 0.1.0)`.
    pub device: String,
    /// When it happened, in the person's time zone (see [`format_when`]).
    pub when: String,
    /// Failed sign-ins before a success.
    pub failures: u32,
    /// Recovery codes left after one was used.
    pub codes_left: u32,
    /// The name an API client was given (shown only when [`is_link_like`] is false).
    pub client_name: String,
    /// An API client's public id (`xwms_ci_…`).
    pub client_id: String,
    /// Where the app opens what the mail is about (`xwms://support/<conversation id>`).
    pub link: String,
    /// The first characters of a message (empty: the mail does not quote it).
    pub preview: String,
    /// Why an account was suspended: a suspension reason code (`terms_violation`, `spam`,
    /// `fraud`, ...), named in the mail's language.
    pub suspension: String,
}

/// A suspension reason code in words, with its preposition ("because of ...").
fn suspension_words(language: Language, code: &str) -> &'static str {
    match (code, language) {
        ("terms_violation", Language::En) => "because of a violation of the terms of use",
        ("terms_violation", Language::Nl) => "vanwege een overtreding van de gebruiksvoorwaarden",
        ("terms_violation", Language::Fr) => {
            "en raison d'une violation des conditions d'utilisation"
        }
        ("spam", Language::En) => "because of sending spam",
        ("spam", Language::Nl) => "vanwege het versturen van spam",
        ("spam", Language::Fr) => "en raison de l'envoi de spam",
        ("fraud", Language::En) => "because of suspected fraud",
        ("fraud", Language::Nl) => "vanwege een vermoeden van fraude",
        ("fraud", Language::Fr) => "en raison d'une suspicion de fraude",
        ("security", Language::En) => "because of a risk to the security of the account",
        ("security", Language::Nl) => "vanwege een risico voor de beveiliging van het account",
        ("security", Language::Fr) => "en raison d'un risque pour la sécurité du compte",
        (_, Language::En) => "for a reason our support team can explain",
        (_, Language::Nl) => "om een reden die ons supportteam u kan uitleggen",
        (_, Language::Fr) => "pour une raison que notre équipe d'assistance peut vous expliquer",
    }
}

/// Whether a mail client could turn `text` into a link: it holds a scheme (`://`), `www.`, an
/// `@`, or a dot (also the ideographic and full-width dots that IDNA reads as one) between a
/// letter or digit and two letters (`evil.example`, `x.yz`; not `J.R.R.` or version `1.10.0`).
///
/// Mail clients (Gmail, Outlook, Apple Mail, Thunderbird) link such text in the plain-text part
/// *and* in HTML whatever markup surrounds it, and tricks that split it with spans or invisible
/// characters are not respected by all of them. So text a person chose (their name, a device or
/// API client name) is never put in a mail when it looks like a link: the greeting goes without
/// the name, a device is "(name not shown)", an API client is named by its client id.
pub(crate) fn is_link_like(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") || text.contains(['@', '\u{FF20}']) {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    let is_dot = |c: char| matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}');
    chars.iter().enumerate().any(|(i, &c)| {
        is_dot(c)
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.len() > i + 2
            && chars[i + 1].is_alphabetic()
            && chars[i + 2].is_alphabetic()
    })
}

/// `text`, or `fallback` when it is empty or could become a link.
fn shown_or(text: &str, fallback: &str) -> String {
    if is_link_like(text) {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

fn hidden(language: Language) -> &'static str {
    match language {
        Language::En => "(name not shown)",
        Language::Nl => "(naam niet getoond)",
        Language::Fr => "(nom non affiché)",
    }
}

/// An API client in a sentence: `"deploy bot" (xwms_ci_…)`, or only its id when the name could
/// become a link.
fn client_text(language: Language, name: &str, id: &str) -> String {
    if name.is_empty() || is_link_like(name) {
        return id.to_owned();
    }
    match language {
        Language::Fr => format!("« {name} » ({id})"),
        Language::En | Language::Nl => format!("\"{name}\" ({id})"),
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Block {
    Paragraph(String),
    Code(String),
}

use Block::{Code, Paragraph as P};

/// `at` in the time zone `timezone` (IANA name; UTC when unknown), e.g. `2026-05-06 09:08 CEST`.
pub(crate) fn format_when(at: OffsetDateTime, timezone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_second(at.unix_timestamp()) {
        Ok(ts) => ts
            .to_zoned_datetime(zone)
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// A support reply: what happened, the quoted preview (or why there is none), the link.
fn reply_blocks(said: String, preview: &str, withheld: &str, open: String) -> Vec<Block> {
    let quoted = if preview.is_empty() {
        P(withheld.to_owned())
    } else {
        P(format!("\u{201C}{preview}\u{201D}"))
    };
    vec![P(said), quoted, P(open)]
}

fn content(kind: MailKind, language: Language, f: &MailFacts) -> (String, Vec<Block>) {
    let code = || Code(f.code.clone().unwrap_or_default());
    let (m, email, when, ip, failures, reference, days, left) = (
        f.minutes,
        &f.email,
        &f.when,
        &f.ip,
        f.failures,
        &f.reference,
        f.days,
        f.codes_left,
    );
    let (link, preview) = (&f.link, &f.preview);
    let device = &shown_or(&f.device, hidden(language));
    let client = &client_text(language, &f.client_name, &f.client_id);
    use Language::{En, Fr, Nl};
    use MailKind::*;
    match (kind, language) {
        (VerifyEmail, En) => ("Your XWMS verification code".into(), vec![
            P("Enter this code in XWMS to verify your email address:".into()),
            code(),
            P(format!("The code is valid for {m} minutes. If you did not create an XWMS account, you can ignore this mail.")),
        ]),
        (VerifyEmail, Nl) => ("Uw XWMS-verificatiecode".into(), vec![
            P("Voer deze code in XWMS in om uw e-mailadres te bevestigen:".into()),
            code(),
            P(format!("De code is {m} minuten geldig. Heeft u geen XWMS-account aangemaakt? Dan kunt u deze e-mail negeren.")),
        ]),
        (VerifyEmail, Fr) => ("Votre code de vérification XWMS".into(), vec![
            P("Saisissez ce code dans XWMS pour vérifier votre adresse e-mail :".into()),
            code(),
            P(format!("Le code est valable {m} minutes. Si vous n'avez pas créé de compte XWMS, vous pouvez ignorer ce message.")),
        ]),

        (AccountExists, En) => ("Someone tried to sign up with your email address".into(), vec![
            P("Someone just tried to create an XWMS account with this email address. You already have an account, so nothing was changed.".into()),
            P("If this was you, sign in instead; if you forgot your password, choose \"Forgot password\" on the sign-in screen. If it was not you, you can ignore this mail.".into()),
        ]),
        (AccountExists, Nl) => ("Iemand probeerde zich aan te melden met uw e-mailadres".into(), vec![
            P("Iemand probeerde zojuist een XWMS-account aan te maken met dit e-mailadres. U heeft al een account, dus er is niets gewijzigd.".into()),
            P("Was u dit zelf? Log dan in; bent u uw wachtwoord vergeten, kies dan \"Wachtwoord vergeten\" op het inlogscherm. Was u het niet, dan kunt u deze e-mail negeren.".into()),
        ]),
        (AccountExists, Fr) => ("Quelqu'un a essayé de s'inscrire avec votre adresse e-mail".into(), vec![
            P("Quelqu'un vient d'essayer de créer un compte XWMS avec cette adresse e-mail. Vous avez déjà un compte, rien n'a donc été modifié.".into()),
            P("Si c'était vous, connectez-vous ; si vous avez oublié votre mot de passe, choisissez « Mot de passe oublié » sur l'écran de connexion. Sinon, vous pouvez ignorer ce message.".into()),
        ]),

        (UnlockCode, En) => ("Your XWMS account is locked: unlock code".into(), vec![
            P("To protect your XWMS account, we locked it for a while after repeated failed sign-in attempts.".into()),
            P("Enter this code in XWMS to unlock your account at once:".into()),
            code(),
            P(format!("The code is valid for {m} minutes. If the failed attempts were not yours, change your password after you sign in.")),
        ]),
        (UnlockCode, Nl) => ("Uw XWMS-account is vergrendeld: ontgrendelcode".into(), vec![
            P("Om uw XWMS-account te beschermen, hebben we het tijdelijk vergrendeld na herhaalde mislukte inlogpogingen.".into()),
            P("Voer deze code in XWMS in om uw account direct te ontgrendelen:".into()),
            code(),
            P(format!("De code is {m} minuten geldig. Waren de mislukte pogingen niet van u? Wijzig dan uw wachtwoord nadat u bent ingelogd.")),
        ]),
        (UnlockCode, Fr) => ("Votre compte XWMS est verrouillé : code de déverrouillage".into(), vec![
            P("Pour protéger votre compte XWMS, nous l'avons verrouillé temporairement après plusieurs tentatives de connexion échouées.".into()),
            P("Saisissez ce code dans XWMS pour déverrouiller votre compte immédiatement :".into()),
            code(),
            P(format!("Le code est valable {m} minutes. Si ces tentatives ne venaient pas de vous, changez votre mot de passe après vous être connecté.")),
        ]),

        (ConfirmDeviceCode, En) => ("Sign-in from a device you did not recognise: your code".into(), vec![
            P(format!("Someone entered your password on {device}, a device you marked earlier with \"Not me\". Enter this code there to finish signing in:")),
            code(),
            P(format!("The code is valid for {m} minutes. If this is not you, do not share the code with anyone, and change your password: whoever tried knows it.")),
        ]),
        (ConfirmDeviceCode, Nl) => ("Inloggen op een apparaat dat u niet herkende: uw code".into(), vec![
            P(format!("Iemand heeft uw wachtwoord ingevoerd op {device}, een apparaat dat u eerder met \"Niet ik\" hebt gemeld. Voer daar deze code in om het inloggen af te ronden:")),
            code(),
            P(format!("De code is {m} minuten geldig. Was u dit niet? Geef de code dan aan niemand en wijzig uw wachtwoord: wie het probeerde, kent het.")),
        ]),
        (ConfirmDeviceCode, Fr) => ("Connexion depuis un appareil que vous n'avez pas reconnu : votre code".into(), vec![
            P(format!("Quelqu'un a saisi votre mot de passe sur {device}, un appareil que vous avez signalé plus tôt avec « Ce n'était pas moi ». Saisissez ce code sur cet appareil pour terminer la connexion :")),
            code(),
            P(format!("Le code est valable {m} minutes. Si ce n'est pas vous, ne communiquez ce code à personne et changez votre mot de passe : la personne qui a essayé le connaît.")),
        ]),

        (SupportGuestCode, En) => (format!("Your code to open your support case {reference}"), vec![
            P(format!("Enter this code in XWMS to open your support case {reference} without signing in:")),
            code(),
            P(format!("The code is valid for {m} minutes. If you did not ask for it, you can ignore this mail.")),
        ]),
        (SupportGuestCode, Nl) => (format!("Uw code om uw supportzaak {reference} te openen"), vec![
            P(format!("Voer deze code in XWMS in om uw supportzaak {reference} te openen zonder in te loggen:")),
            code(),
            P(format!("De code is {m} minuten geldig. Heeft u er niet om gevraagd? Dan kunt u deze e-mail negeren.")),
        ]),
        (SupportGuestCode, Fr) => (format!("Votre code pour ouvrir votre demande d'assistance {reference}"), vec![
            P(format!("Saisissez ce code dans XWMS pour ouvrir votre demande d'assistance {reference} sans vous connecter :")),
            code(),
            P(format!("Le code est valable {m} minutes. Si vous ne l'avez pas demandé, vous pouvez ignorer ce message.")),
        ]),

        (SupportReply, En) => (format!("New reply from XWMS support ({reference})"), reply_blocks(
            format!("XWMS support replied in your conversation {reference}."),
            preview,
            "For your security, this mail does not contain the reply.",
            format!("Read it and answer in the XWMS app: {link}"),
        )),
        (SupportReply, Nl) => (format!("Nieuw antwoord van XWMS-support ({reference})"), reply_blocks(
            format!("XWMS-support heeft geantwoord in uw gesprek {reference}."),
            preview,
            "Voor uw veiligheid staat het antwoord niet in deze e-mail.",
            format!("Lees het en antwoord in de XWMS-app: {link}"),
        )),
        (SupportReply, Fr) => (format!("Nouvelle réponse du support XWMS ({reference})"), reply_blocks(
            format!("Le support XWMS a répondu dans votre conversation {reference}."),
            preview,
            "Pour votre sécurité, ce message ne contient pas la réponse.",
            format!("Lisez-la et répondez dans l'application XWMS : {link}"),
        )),

        (AccountUnlockedBySupport, En) => ("Your XWMS account was unlocked by support".into(), vec![
            P(format!("On {when}, the XWMS support team lifted the lock on your account. You can sign in again right away.")),
            P("If you did not ask support for this, change your password after you sign in and contact support in the XWMS app.".into()),
        ]),
        (AccountUnlockedBySupport, Nl) => ("Uw XWMS-account is ontgrendeld door support".into(), vec![
            P(format!("Op {when} heeft het supportteam van XWMS de vergrendeling van uw account opgeheven. U kunt direct weer inloggen.")),
            P("Heeft u support hier niet om gevraagd? Wijzig dan uw wachtwoord nadat u bent ingelogd en neem contact op met support in de XWMS-app.".into()),
        ]),
        (AccountUnlockedBySupport, Fr) => ("Votre compte XWMS a été déverrouillé par l'assistance".into(), vec![
            P(format!("Le {when}, l'équipe d'assistance XWMS a levé le verrouillage de votre compte. Vous pouvez vous reconnecter immédiatement.")),
            P("Si vous n'avez pas demandé cela à l'assistance, changez votre mot de passe après vous être connecté et contactez l'assistance dans l'application XWMS.".into()),
        ]),

        (AccountSuspended, En) => ("Your XWMS account has been suspended".into(), vec![
            P(format!("On {when}, the XWMS support team suspended your account {}. You cannot sign in while it is suspended, and every session has been ended.", suspension_words(language, &f.suspension))),
            P("If you think this is a mistake, you can appeal to the XWMS support team. The XWMS Desktop app cannot send an appeal yet; an XWMS app that can offers \"Appeal\" when you sign in with your password. Our team reviews every appeal and answers you by mail.".into()),
        ]),
        (AccountSuspended, Nl) => ("Uw XWMS-account is opgeschort".into(), vec![
            P(format!("Op {when} heeft het supportteam van XWMS uw account opgeschort {}. Zolang het is opgeschort, kunt u niet inloggen; al uw sessies zijn beëindigd.", suspension_words(language, &f.suspension))),
            P("Denkt u dat dit een vergissing is? Dan kunt u bezwaar maken bij het supportteam van XWMS. De app XWMS Desktop kan nog geen bezwaar versturen; een XWMS-app die dat wel kan, biedt \"Bezwaar maken\" aan wanneer u inlogt met uw wachtwoord. Ons team beoordeelt elk bezwaar en antwoordt u per e-mail.".into()),
        ]),
        (AccountSuspended, Fr) => ("Votre compte XWMS a été suspendu".into(), vec![
            P(format!("Le {when}, l'équipe d'assistance XWMS a suspendu votre compte {}. Vous ne pouvez pas vous connecter tant qu'il est suspendu, et toutes vos sessions ont été fermées.", suspension_words(language, &f.suspension))),
            P("Si vous pensez qu'il s'agit d'une erreur, vous pouvez faire appel auprès de l'équipe d'assistance XWMS. L'application XWMS Desktop ne permet pas encore d'envoyer un appel ; une application XWMS qui le permet propose « Faire appel » lorsque vous vous connectez avec votre mot de passe. Notre équipe examine chaque appel et vous répond par e-mail.".into()),
        ]),

        (SuspensionLifted, En) => ("Your XWMS account is no longer suspended".into(), vec![
            P(format!("On {when}, the XWMS support team lifted the suspension of your account. You can sign in again.")),
        ]),
        (SuspensionLifted, Nl) => ("Uw XWMS-account is niet langer opgeschort".into(), vec![
            P(format!("Op {when} heeft het supportteam van XWMS de opschorting van uw account opgeheven. U kunt weer inloggen.")),
        ]),
        (SuspensionLifted, Fr) => ("Votre compte XWMS n'est plus suspendu".into(), vec![
            P(format!("Le {when}, l'équipe d'assistance XWMS a levé la suspension de votre compte. Vous pouvez vous reconnecter.")),
        ]),

        (SuspensionKept, En) => ("Your appeal about your XWMS account".into(), vec![
            P(format!("On {when}, the XWMS support team reviewed your appeal. After careful review, your account stays suspended.")),
            P("You can read the explanation in your appeal conversation in the XWMS app.".into()),
        ]),
        (SuspensionKept, Nl) => ("Uw bezwaar over uw XWMS-account".into(), vec![
            P(format!("Op {when} heeft het supportteam van XWMS uw bezwaar beoordeeld. Na zorgvuldige beoordeling blijft uw account opgeschort.")),
            P("U leest de toelichting in uw bezwaargesprek in de XWMS-app.".into()),
        ]),
        (SuspensionKept, Fr) => ("Votre appel concernant votre compte XWMS".into(), vec![
            P(format!("Le {when}, l'équipe d'assistance XWMS a examiné votre appel. Après un examen attentif, votre compte reste suspendu.")),
            P("Vous trouverez l'explication dans votre conversation d'appel dans l'application XWMS.".into()),
        ]),

        (SupportRecoveryCode, En) => ("Recover your XWMS account: your code".into(), vec![
            P("Our support team has verified that this account is yours. To protect it, every session has ended. Choose a new password in XWMS with this reset key and code:".into()),
            P(format!("Reset key: {reference}")),
            code(),
            P(format!("The code is valid for {m} minutes and works once. If you did not ask support for this, contact support in the XWMS app at once.")),
        ]),
        (SupportRecoveryCode, Nl) => ("Herstel uw XWMS-account: uw code".into(), vec![
            P("Ons supportteam heeft vastgesteld dat dit account van u is. Ter bescherming zijn al uw sessies beëindigd. Kies een nieuw wachtwoord in XWMS met deze herstelsleutel en code:".into()),
            P(format!("Herstelsleutel: {reference}")),
            code(),
            P(format!("De code is {m} minuten geldig en werkt één keer. Heeft u support hier niet om gevraagd? Neem dan direct contact op met support in de XWMS-app.")),
        ]),
        (SupportRecoveryCode, Fr) => ("Récupérez votre compte XWMS : votre code".into(), vec![
            P("Notre équipe d'assistance a vérifié que ce compte vous appartient. Pour le protéger, toutes vos sessions ont été fermées. Choisissez un nouveau mot de passe dans XWMS avec cette clé de réinitialisation et ce code :".into()),
            P(format!("Clé de réinitialisation : {reference}")),
            code(),
            P(format!("Le code est valable {m} minutes et ne fonctionne qu'une fois. Si vous n'avez pas demandé cela à l'assistance, contactez immédiatement l'assistance dans l'application XWMS.")),
        ]),

        (ResetCode, En) => ("Your XWMS password reset code".into(), vec![
            P("Someone (hopefully you) asked to reset the password of your XWMS account. Enter this code in XWMS to choose a new password:".into()),
            code(),
            P(format!("The code is valid for {m} minutes and works once. If you did not ask for this, ignore this mail: your password stays as it is.")),
        ]),
        (ResetCode, Nl) => ("Uw code om uw XWMS-wachtwoord opnieuw in te stellen".into(), vec![
            P("Iemand (hopelijk u) heeft gevraagd het wachtwoord van uw XWMS-account opnieuw in te stellen. Voer deze code in XWMS in om een nieuw wachtwoord te kiezen:".into()),
            code(),
            P(format!("De code is {m} minuten geldig en werkt één keer. Heeft u hier niet om gevraagd? Negeer deze e-mail dan: uw wachtwoord blijft ongewijzigd.")),
        ]),
        (ResetCode, Fr) => ("Votre code de réinitialisation du mot de passe XWMS".into(), vec![
            P("Quelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte XWMS. Saisissez ce code dans XWMS pour choisir un nouveau mot de passe :".into()),
            code(),
            P(format!("Le code est valable {m} minutes et ne fonctionne qu'une fois. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.")),
        ]),

        (PasswordChanged, En) => ("Your XWMS password was changed".into(), vec![
            P(format!("The password of your XWMS account was changed on {when}.")),
            P("If you did this, no action is needed. If not, reset your password at once with \"Forgot password\" and contact support.".into()),
        ]),
        (PasswordChanged, Nl) => ("Uw XWMS-wachtwoord is gewijzigd".into(), vec![
            P(format!("Het wachtwoord van uw XWMS-account is gewijzigd op {when}.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, stel uw wachtwoord dan direct opnieuw in via \"Wachtwoord vergeten\" en neem contact op met support.".into()),
        ]),
        (PasswordChanged, Fr) => ("Le mot de passe de votre compte XWMS a été modifié".into(), vec![
            P(format!("Le mot de passe de votre compte XWMS a été modifié le {when}.")),
            P("Si c'est vous, aucune action n'est nécessaire. Sinon, réinitialisez immédiatement votre mot de passe via « Mot de passe oublié » et contactez le support.".into()),
        ]),

        (PasswordReset, En) => ("Your XWMS password was reset".into(), vec![
            P(format!("The password of your XWMS account was reset on {when} with a code sent to this address. All sessions were signed out.")),
            P("If you did this, no action is needed. If not, reset your password again and contact support: someone may have access to your mailbox.".into()),
        ]),
        (PasswordReset, Nl) => ("Uw XWMS-wachtwoord is opnieuw ingesteld".into(), vec![
            P(format!("Het wachtwoord van uw XWMS-account is op {when} opnieuw ingesteld met een code die naar dit adres is gestuurd. Alle sessies zijn afgemeld.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, stel uw wachtwoord dan opnieuw in en neem contact op met support: iemand heeft mogelijk toegang tot uw mailbox.".into()),
        ]),
        (PasswordReset, Fr) => ("Le mot de passe de votre compte XWMS a été réinitialisé".into(), vec![
            P(format!("Le mot de passe de votre compte XWMS a été réinitialisé le {when} avec un code envoyé à cette adresse. Toutes les sessions ont été déconnectées.")),
            P("Si c'est vous, aucune action n'est nécessaire. Sinon, réinitialisez à nouveau votre mot de passe et contactez le support : quelqu'un a peut-être accès à votre boîte mail.".into()),
        ]),

        (EmailChangeCode, En) => ("Confirm your new XWMS email address".into(), vec![
            P(format!("Enter this code in XWMS to make {email} the email address of your account:")),
            code(),
            P(format!("The code is valid for {m} minutes. If you did not ask for this, you can ignore this mail.")),
        ]),
        (EmailChangeCode, Nl) => ("Bevestig uw nieuwe XWMS-e-mailadres".into(), vec![
            P(format!("Voer deze code in XWMS in om {email} het e-mailadres van uw account te maken:")),
            code(),
            P(format!("De code is {m} minuten geldig. Heeft u hier niet om gevraagd? Dan kunt u deze e-mail negeren.")),
        ]),
        (EmailChangeCode, Fr) => ("Confirmez votre nouvelle adresse e-mail XWMS".into(), vec![
            P(format!("Saisissez ce code dans XWMS pour que {email} devienne l'adresse e-mail de votre compte :")),
            code(),
            P(format!("Le code est valable {m} minutes. Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message.")),
        ]),

        (EmailChangeRequested, En) => ("A change of your XWMS email address was requested".into(), vec![
            P(format!("Someone signed in to your XWMS account asked to change its email address to {email}. The change happens only when the code sent to that address is entered.")),
            P("If this was not you, change your password at once and sign out your other sessions.".into()),
        ]),
        (EmailChangeRequested, Nl) => ("Er is gevraagd uw XWMS-e-mailadres te wijzigen".into(), vec![
            P(format!("Iemand die is ingelogd op uw XWMS-account heeft gevraagd het e-mailadres te wijzigen in {email}. De wijziging gebeurt pas als de code die naar dat adres is gestuurd, wordt ingevoerd.")),
            P("Was u dit niet? Wijzig dan direct uw wachtwoord en meld uw andere sessies af.".into()),
        ]),
        (EmailChangeRequested, Fr) => ("Un changement de votre adresse e-mail XWMS a été demandé".into(), vec![
            P(format!("Une personne connectée à votre compte XWMS a demandé à remplacer son adresse e-mail par {email}. Le changement n'aura lieu que si le code envoyé à cette adresse est saisi.")),
            P("Si ce n'était pas vous, changez immédiatement votre mot de passe et déconnectez vos autres sessions.".into()),
        ]),

        (EmailChanged, En) => ("Your XWMS email address was changed".into(), vec![
            P(format!("The email address of your XWMS account was changed to {email} on {when}. Mail about your account now goes there.")),
            P("If this was not you, contact support at once.".into()),
        ]),
        (EmailChanged, Nl) => ("Uw XWMS-e-mailadres is gewijzigd".into(), vec![
            P(format!("Het e-mailadres van uw XWMS-account is op {when} gewijzigd in {email}. E-mail over uw account gaat voortaan daarheen.")),
            P("Was u dit niet? Neem dan direct contact op met support.".into()),
        ]),
        (EmailChanged, Fr) => ("L'adresse e-mail de votre compte XWMS a été modifiée".into(), vec![
            P(format!("L'adresse e-mail de votre compte XWMS a été remplacée par {email} le {when}. Les messages concernant votre compte y seront désormais envoyés.")),
            P("Si ce n'était pas vous, contactez immédiatement le support.".into()),
        ]),

        (EmailInUse, En) => ("Someone tried to use your email address on XWMS".into(), vec![
            P("Someone asked to move another XWMS account to this email address. This address already belongs to your XWMS account, so nothing was changed.".into()),
            P("If this was you, use a different address or contact support. Otherwise you can ignore this mail.".into()),
        ]),
        (EmailInUse, Nl) => ("Iemand probeerde uw e-mailadres te gebruiken bij XWMS".into(), vec![
            P("Iemand vroeg om een ander XWMS-account naar dit e-mailadres te verplaatsen. Dit adres hoort al bij uw XWMS-account, dus er is niets gewijzigd.".into()),
            P("Was u dit zelf? Gebruik dan een ander adres of neem contact op met support. Anders kunt u deze e-mail negeren.".into()),
        ]),
        (EmailInUse, Fr) => ("Quelqu'un a essayé d'utiliser votre adresse e-mail sur XWMS".into(), vec![
            P("Quelqu'un a demandé à déplacer un autre compte XWMS vers cette adresse e-mail. Cette adresse appartient déjà à votre compte XWMS, rien n'a donc été modifié.".into()),
            P("Si c'était vous, utilisez une autre adresse ou contactez le support. Sinon, vous pouvez ignorer ce message.".into()),
        ]),

        (RecoveryAcknowledgement, En) => (format!("We received your account recovery request ({reference})"), vec![
            P(format!("We received your request to recover an XWMS account. Your reference is {reference}; please quote it when you contact support.")),
            P(format!("Our support team will answer at this address within {days} working days. We may ask for details that show the account is yours. We will never ask for your password.")),
        ]),
        (RecoveryAcknowledgement, Nl) => (format!("We hebben uw verzoek tot accountherstel ontvangen ({reference})"), vec![
            P(format!("We hebben uw verzoek ontvangen om een XWMS-account te herstellen. Uw referentie is {reference}; vermeld die als u contact opneemt met support.")),
            P(format!("Ons supportteam antwoordt binnen {days} werkdagen op dit adres. We kunnen u om gegevens vragen waaruit blijkt dat het account van u is. We vragen nooit om uw wachtwoord.")),
        ]),
        (RecoveryAcknowledgement, Fr) => (format!("Nous avons reçu votre demande de récupération de compte ({reference})"), vec![
            P(format!("Nous avons reçu votre demande de récupération d'un compte XWMS. Votre référence est {reference} ; indiquez-la si vous contactez le support.")),
            P(format!("Notre équipe d'assistance vous répondra à cette adresse sous {days} jours ouvrés. Nous pourrons vous demander des informations montrant que le compte vous appartient. Nous ne vous demanderons jamais votre mot de passe.")),
        ]),

        (RecoveryNotice, En) => ("A recovery request was filed for your XWMS account".into(), vec![
            P(format!("Someone asked XWMS support to recover the account of this email address (reference {reference}). Support checks every request before anything is changed.")),
            P("If this was you, no action is needed. If not, you can ignore this mail; to be safe, check that you can still sign in.".into()),
        ]),
        (RecoveryNotice, Nl) => ("Er is een herstelverzoek ingediend voor uw XWMS-account".into(), vec![
            P(format!("Iemand heeft XWMS-support gevraagd het account van dit e-mailadres te herstellen (referentie {reference}). Support controleert elk verzoek voordat er iets wordt gewijzigd.")),
            P("Was u dit zelf, dan hoeft u niets te doen. Zo niet, dan kunt u deze e-mail negeren; controleer voor de zekerheid of u nog kunt inloggen.".into()),
        ]),
        (RecoveryNotice, Fr) => ("Une demande de récupération a été déposée pour votre compte XWMS".into(), vec![
            P(format!("Quelqu'un a demandé au support XWMS de récupérer le compte de cette adresse e-mail (référence {reference}). Le support vérifie chaque demande avant toute modification.")),
            P("Si c'était vous, aucune action n'est nécessaire. Sinon, vous pouvez ignorer ce message ; par précaution, vérifiez que vous pouvez toujours vous connecter.".into()),
        ]),

        (SignInAfterFailures, En) => ("Sign-in to your XWMS account after failed attempts".into(), vec![
            P(format!("Someone signed in to your XWMS account on {when} from {ip} ({device}), after {failures} failed attempts.")),
            P("If this was you, no action is needed. If not, change your password at once and sign out your other sessions.".into()),
        ]),
        (SignInAfterFailures, Nl) => ("Ingelogd op uw XWMS-account na mislukte pogingen".into(), vec![
            P(format!("Er is op {when} ingelogd op uw XWMS-account vanaf {ip} ({device}), na {failures} mislukte pogingen.")),
            P("Was u dit zelf, dan hoeft u niets te doen. Zo niet, wijzig dan direct uw wachtwoord en meld uw andere sessies af.".into()),
        ]),
        (SignInAfterFailures, Fr) => ("Connexion à votre compte XWMS après des tentatives échouées".into(), vec![
            P(format!("Quelqu'un s'est connecté à votre compte XWMS le {when} depuis {ip} ({device}), après {failures} tentatives échouées.")),
            P("Si c'était vous, aucune action n'est nécessaire. Sinon, changez immédiatement votre mot de passe et déconnectez vos autres sessions.".into()),
        ]),

        (NewDeviceSignIn, En) => ("New sign-in to your XWMS account".into(), vec![
            P(format!("Your XWMS account was signed in to on {when} from a device it has not used before: {device}, IP address {ip}.")),
            P("If this was you, no action is needed. If not, change your password at once and sign out that session.".into()),
        ]),
        (NewDeviceSignIn, Nl) => ("Nieuwe aanmelding op uw XWMS-account".into(), vec![
            P(format!("Op {when} is er ingelogd op uw XWMS-account vanaf een apparaat dat nog niet eerder is gebruikt: {device}, IP-adres {ip}.")),
            P("Was u dit zelf, dan hoeft u niets te doen. Zo niet, wijzig dan direct uw wachtwoord en meld die sessie af.".into()),
        ]),
        (NewDeviceSignIn, Fr) => ("Nouvelle connexion à votre compte XWMS".into(), vec![
            P(format!("Votre compte XWMS a été utilisé le {when} depuis un appareil jamais utilisé auparavant : {device}, adresse IP {ip}.")),
            P("Si c'était vous, aucune action n'est nécessaire. Sinon, changez immédiatement votre mot de passe et déconnectez cette session.".into()),
        ]),

        (NewNetworkSignIn, En) => ("Sign-in to your XWMS account from a new network".into(), vec![
            P(format!("Your XWMS account was signed in to on {when} from a network it has not used before: IP address {ip}, on {device}.")),
            P("If this was you (for example on holiday, at work or on a mobile connection), no action is needed; you can confirm it under Security in XWMS. If not, choose \"Not me\" there to sign that session out, and change your password.".into()),
        ]),
        (NewNetworkSignIn, Nl) => ("Ingelogd op uw XWMS-account vanaf een nieuw netwerk".into(), vec![
            P(format!("Op {when} is er ingelogd op uw XWMS-account vanaf een netwerk dat nog niet eerder is gebruikt: IP-adres {ip}, op {device}.")),
            P("Was u dit zelf (bijvoorbeeld op vakantie, op het werk of via mobiel internet), dan hoeft u niets te doen; u kunt het bevestigen onder Beveiliging in XWMS. Zo niet, kies daar \"Dit was ik niet\" om die sessie af te melden, en wijzig uw wachtwoord.".into()),
        ]),
        (NewNetworkSignIn, Fr) => ("Connexion à votre compte XWMS depuis un nouveau réseau".into(), vec![
            P(format!("Votre compte XWMS a été utilisé le {when} depuis un réseau jamais utilisé auparavant : adresse IP {ip}, sur {device}.")),
            P("Si c'était vous (par exemple en vacances, au travail ou sur une connexion mobile), aucune action n'est nécessaire ; vous pouvez le confirmer sous Sécurité dans XWMS. Sinon, choisissez « Ce n'était pas moi » pour déconnecter cette session, et changez votre mot de passe.".into()),
        ]),

        (TwoFactorDisabled, En) => ("Two-step verification was turned off for your XWMS account".into(), vec![
            P(format!("Two-step verification was turned off for your XWMS account on {when} (IP address {ip}). Signing in now needs only your password.")),
            P("If you did this, no action is needed. If not, change your password at once, turn two-step verification back on and sign out your other sessions.".into()),
        ]),
        (TwoFactorDisabled, Nl) => ("Tweestapsverificatie is uitgezet voor uw XWMS-account".into(), vec![
            P(format!("Tweestapsverificatie is op {when} uitgezet voor uw XWMS-account (IP-adres {ip}). Inloggen vraagt nu alleen nog uw wachtwoord.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, wijzig dan direct uw wachtwoord, zet tweestapsverificatie weer aan en meld uw andere sessies af.".into()),
        ]),
        (TwoFactorDisabled, Fr) => ("La validation en deux étapes a été désactivée sur votre compte XWMS".into(), vec![
            P(format!("La validation en deux étapes a été désactivée sur votre compte XWMS le {when} (adresse IP {ip}). La connexion ne demande plus que votre mot de passe.")),
            P("Si c'est vous, aucune action n'est nécessaire. Sinon, changez immédiatement votre mot de passe, réactivez la validation en deux étapes et déconnectez vos autres sessions.".into()),
        ]),
        (TwoFactorEnabled, En) => ("Two-step verification was turned on for your XWMS account".into(), vec![
            P(format!("Two-step verification was turned on for your XWMS account on {when} (IP address {ip}). From now on, signing in needs your password and a code from your authenticator app (or one of your recovery codes).")),
            P("If you did this, no action is needed; keep your recovery codes somewhere safe. If not, someone else may know your password: change it at once, sign out your other sessions and contact support.".into()),
        ]),
        (TwoFactorEnabled, Nl) => ("Tweestapsverificatie is aangezet voor uw XWMS-account".into(), vec![
            P(format!("Tweestapsverificatie is op {when} aangezet voor uw XWMS-account (IP-adres {ip}). Vanaf nu vraagt inloggen uw wachtwoord en een code uit uw authenticator-app (of een van uw herstelcodes).")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen; bewaar uw herstelcodes op een veilige plek. Zo niet, dan kent iemand anders mogelijk uw wachtwoord: wijzig het direct, meld uw andere sessies af en neem contact op met support.".into()),
        ]),
        (TwoFactorEnabled, Fr) => ("La validation en deux étapes a été activée sur votre compte XWMS".into(), vec![
            P(format!("La validation en deux étapes a été activée sur votre compte XWMS le {when} (adresse IP {ip}). Désormais, la connexion demande votre mot de passe et un code de votre application d'authentification (ou l'un de vos codes de récupération).")),
            P("Si c'est vous, aucune action n'est nécessaire ; conservez vos codes de récupération en lieu sûr. Sinon, quelqu'un d'autre connaît peut-être votre mot de passe : changez-le immédiatement, déconnectez vos autres sessions et contactez le support.".into()),
        ]),

        (RecoveryCodesRegenerated, En) => ("New recovery codes were made for your XWMS account".into(), vec![
            P(format!("A new set of recovery codes was made for your XWMS account on {when} (IP address {ip}). The previous codes no longer work.")),
            P("If you did this, no action is needed; keep the new codes somewhere safe. If not, change your password at once, make new recovery codes yourself and sign out your other sessions.".into()),
        ]),
        (RecoveryCodesRegenerated, Nl) => ("Er zijn nieuwe herstelcodes gemaakt voor uw XWMS-account".into(), vec![
            P(format!("Op {when} is er een nieuwe set herstelcodes gemaakt voor uw XWMS-account (IP-adres {ip}). De vorige codes werken niet meer.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen; bewaar de nieuwe codes op een veilige plek. Zo niet, wijzig dan direct uw wachtwoord, maak zelf nieuwe herstelcodes en meld uw andere sessies af.".into()),
        ]),
        (RecoveryCodesRegenerated, Fr) => ("De nouveaux codes de récupération ont été générés pour votre compte XWMS".into(), vec![
            P(format!("Un nouveau jeu de codes de récupération a été généré pour votre compte XWMS le {when} (adresse IP {ip}). Les codes précédents ne fonctionnent plus.")),
            P("Si c'est vous, aucune action n'est nécessaire ; conservez les nouveaux codes en lieu sûr. Sinon, changez immédiatement votre mot de passe, générez vous-même de nouveaux codes de récupération et déconnectez vos autres sessions.".into()),
        ]),

        (RecoveryCodeUsed, En) => ("A recovery code was used to sign in to your XWMS account".into(), vec![
            P(format!("Someone signed in to your XWMS account on {when} from {ip} ({device}) with one of your recovery codes. Each code works once; {}.", match left {
                0 => "you have no recovery codes left".to_owned(),
                1 => "you have 1 recovery code left".to_owned(),
                n => format!("you have {n} recovery codes left"),
            })),
            P("If this was you, no action is needed; make new recovery codes under Security before you run out. If not, change your password at once, make new recovery codes and sign out that session.".into()),
        ]),
        (RecoveryCodeUsed, Nl) => ("Er is ingelogd op uw XWMS-account met een herstelcode".into(), vec![
            P(format!("Er is op {when} ingelogd op uw XWMS-account vanaf {ip} ({device}) met een van uw herstelcodes. Elke code werkt één keer; {}.", match left {
                0 => "u heeft geen herstelcodes meer".to_owned(),
                1 => "u heeft nog 1 herstelcode".to_owned(),
                n => format!("u heeft nog {n} herstelcodes"),
            })),
            P("Was u dit zelf, dan hoeft u niets te doen; maak onder Beveiliging nieuwe herstelcodes voordat ze op zijn. Zo niet, wijzig dan direct uw wachtwoord, maak nieuwe herstelcodes en meld die sessie af.".into()),
        ]),
        (RecoveryCodeUsed, Fr) => ("Un code de récupération a servi à vous connecter à votre compte XWMS".into(), vec![
            P(format!("Quelqu'un s'est connecté à votre compte XWMS le {when} depuis {ip} ({device}) avec l'un de vos codes de récupération. Chaque code ne fonctionne qu'une fois ; {}.", match left {
                0 => "il ne vous reste aucun code de récupération".to_owned(),
                1 => "il vous reste 1 code de récupération".to_owned(),
                n => format!("il vous reste {n} codes de récupération"),
            })),
            P("Si c'était vous, aucune action n'est nécessaire ; générez de nouveaux codes sous Sécurité avant d'en manquer. Sinon, changez immédiatement votre mot de passe, générez de nouveaux codes de récupération et déconnectez cette session.".into()),
        ]),

        (ApiClientCreated, En) => ("A new API client was created for your XWMS account".into(), vec![
            P(format!("The API client {client} was created for your XWMS account on {when} (IP address {ip}). A program that has its secret can use the XWMS API on your behalf.")),
            P("If you did this, no action is needed. If not, delete it under Security in XWMS, change your password at once and sign out your other sessions.".into()),
        ]),
        (ApiClientCreated, Nl) => ("Er is een nieuwe API-client aangemaakt voor uw XWMS-account".into(), vec![
            P(format!("De API-client {client} is op {when} aangemaakt voor uw XWMS-account (IP-adres {ip}). Een programma dat het geheim ervan heeft, kan namens u de XWMS-API gebruiken.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, verwijder de client dan onder Beveiliging in XWMS, wijzig direct uw wachtwoord en meld uw andere sessies af.".into()),
        ]),
        (ApiClientCreated, Fr) => ("Un nouveau client API a été créé pour votre compte XWMS".into(), vec![
            P(format!("Le client API {client} a été créé pour votre compte XWMS le {when} (adresse IP {ip}). Un programme qui dispose de son secret peut utiliser l'API XWMS en votre nom.")),
            P("Si c'est vous, aucune action n'est nécessaire. Sinon, supprimez-le sous Sécurité dans XWMS, changez immédiatement votre mot de passe et déconnectez vos autres sessions.".into()),
        ]),

        (ApiClientSecretRegenerated, En) => ("The secret of an API client of your XWMS account was replaced".into(), vec![
            P(format!("A new secret was made for the API client {client} of your XWMS account on {when} (IP address {ip}). The old secret stopped working at once; programs that use this client need the new one.")),
            P("If you did this, no action is needed. If not, delete the client under Security in XWMS, change your password at once and sign out your other sessions.".into()),
        ]),
        (ApiClientSecretRegenerated, Nl) => ("Het geheim van een API-client van uw XWMS-account is vervangen".into(), vec![
            P(format!("Op {when} is er een nieuw geheim gemaakt voor de API-client {client} van uw XWMS-account (IP-adres {ip}). Het oude geheim werkt direct niet meer; programma's die deze client gebruiken, hebben het nieuwe nodig.")),
            P("Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, verwijder de client dan onder Beveiliging in XWMS, wijzig direct uw wachtwoord en meld uw andere sessies af.".into()),
        ]),
        (ApiClientSecretRegenerated, Fr) => ("Le secret d'un client API de votre compte XWMS a été remplacé".into(), vec![
            P(format!("Un nouveau secret a été créé pour le client API {client} de votre compte XWMS le {when} (adresse IP {ip}). L'ancien secret a cessé de fonctionner immédiatement ; les programmes qui utilisent ce client ont besoin du nouveau.")),
            P("Si c'est vous, aucune action n'est nécessaire. Sinon, supprimez le client sous Sécurité dans XWMS, changez immédiatement votre mot de passe et déconnectez vos autres sessions.".into()),
        ]),
    }
}

struct Frame {
    greeting: &'static str,
    sign_off: &'static str,
    footer: &'static str,
}

fn frame(language: Language) -> Frame {
    match language {
        Language::En => Frame {
            greeting: "Hello",
            sign_off: "The XWMS team",
            footer: "This is an automatic message from XWMS; replies are not read.",
        },
        Language::Nl => Frame {
            greeting: "Hallo",
            sign_off: "Het XWMS-team",
            footer: "Dit is een automatisch bericht van XWMS; antwoorden worden niet gelezen.",
        },
        Language::Fr => Frame {
            greeting: "Bonjour",
            sign_off: "L'équipe XWMS",
            footer: "Ceci est un message automatique de XWMS ; les réponses ne sont pas lues.",
        },
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `kind` in `language` with `facts`.
pub fn render(kind: MailKind, language: Language, facts: &MailFacts) -> Rendered {
    let (subject, blocks) = content(kind, language, facts);
    let frame = frame(language);
    let greeting = if facts.name.is_empty() || is_link_like(&facts.name) {
        format!("{},", frame.greeting)
    } else {
        format!("{} {},", frame.greeting, facts.name)
    };

    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1f2937; line-height: 1.5;\">\n\
         <p>{greeting}</p>\n",
        lang = language.as_str(),
        title = escape(&subject),
        greeting = escape(&greeting),
    );
    for block in &blocks {
        match block {
            Block::Paragraph(p) => {
                text.push_str(p);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>\n", escape(p)));
            }
            Block::Code(code) => {
                text.push_str(&format!("    {code}\n\n"));
                html.push_str(&format!(
                    "<p style=\"font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 28px; font-weight: bold; letter-spacing: 6px;\">{}</p>\n",
                    escape(code)
                ));
            }
        }
    }
    text.push_str(&format!("{}\n\n-- \n{}\n", frame.sign_off, frame.footer));
    html.push_str(&format!(
        "<p>{}</p>\n<hr>\n<p style=\"font-size: 12px; color: #6b7280;\">{}</p>\n</body>\n</html>\n",
        escape(frame.sign_off),
        escape(frame.footer)
    ));
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn facts() -> MailFacts {
        MailFacts {
            name: "Anna <b>de Vries</b>".into(),
            code: Some("042917".into()),
            minutes: 5,
            email: "new@example.com".into(),
            reference: "REC-7K2M9Q".into(),
            days: 2,
            ip: "192.0.2.7".into(),
            device: "anna-laptop (linux, XWMS-Desktop 0.1.0)".into(),
            when: "2026-05-06 09:08 CEST".into(),
            failures: 7,
            codes_left: 3,
            client_name: "deploy bot".into(),
            client_id: "xwms_ci_abc".into(),
            link: "xwms://support/c0ffee".into(),
            preview: "Please try again now.".into(),
            suspension: "spam".into(),
        }
    }

    #[test]
    fn a_suspension_names_its_reason_in_words_and_how_to_appeal() {
        let with = |code: &str| MailFacts {
            suspension: code.into(),
            ..facts()
        };
        let text = |language, code| render(MailKind::AccountSuspended, language, &with(code)).text;
        assert!(
            text(Language::En, "spam").contains("suspended your account because of sending spam.")
        );
        assert!(
            text(Language::Nl, "fraud").contains("opgeschort vanwege een vermoeden van fraude.")
        );
        assert!(text(Language::Fr, "terms_violation").contains(
            "suspendu votre compte en raison d'une violation des conditions d'utilisation."
        ));
        for language in Language::ALL {
            let t = text(language, "spam");
            assert!(!t.contains('{'), "{t}");
            assert!(
                ["Appeal", "Bezwaar maken", "Faire appel"]
                    .iter()
                    .any(|word| t.contains(word)),
                "{t}"
            );
            // An unknown code still reads as a sentence, never as the code.
            assert!(!text(language, "x_unknown").contains("x_unknown"));
        }
    }

    #[test]
    fn a_support_reply_links_to_the_app_and_quotes_only_when_allowed() {
        for language in Language::ALL {
            let r = render(MailKind::SupportReply, language, &facts());
            assert!(r.text.contains("xwms://support/c0ffee"), "{}", r.text);
            assert!(r.text.contains("Please try again now."), "{}", r.text);
            let withheld = MailFacts {
                preview: String::new(),
                ..facts()
            };
            let r = render(MailKind::SupportReply, language, &withheld);
            assert!(!r.text.contains("Please try again now."), "{}", r.text);
            assert!(r.text.contains("xwms://support/c0ffee"), "{}", r.text);
        }
    }

    #[test]
    fn every_kind_renders_in_every_language() {
        for kind in MailKind::ALL {
            let mut subjects = std::collections::HashSet::new();
            for language in Language::ALL {
                let r = render(kind, language, &facts());
                let row = format!("{} {}", kind.as_str(), language.as_str());
                assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{row}");
                assert!(
                    subjects.insert(r.subject.clone()),
                    "{row}: subject not translated"
                );
                assert!(
                    r.html.contains(&format!("lang=\"{}\"", language.as_str())),
                    "{row}"
                );
                assert!(
                    !r.text.contains('{') && !r.html.contains("{m}"),
                    "{row}: placeholder left"
                );
                assert_eq!(
                    crate::mail::find_code(&r.text).is_some(),
                    kind.has_code(),
                    "{row}: code only in code mails"
                );
                if kind.has_code() {
                    assert!(r.text.contains("\n    042917\n"), "{row}");
                    assert!(r.html.contains(">042917</p>"), "{row}");
                }
                // Facts are escaped in HTML, never injected.
                assert!(!r.html.contains("<b>"), "{row}");
                assert!(r.html.contains("Anna &lt;b&gt;de Vries&lt;/b&gt;"), "{row}");
            }
        }
    }

    #[test]
    fn link_like_table() {
        #[rustfmt::skip]
        let table: &[(&str, bool)] = &[
            ("Anna de Vries",             false),
            ("J.R.R. Tolkien",            false),
            ("St. John",                  false),
            ("مهر\u{200C}ناز",             false),
            ("👩\u{200D}💻 Dev",            false),
            ("laptop (linux, XWMS-Desktop 1.10.0)", false),
            ("www.evil.example",          true),
            ("WWW.EVIL.EXAMPLE",          true),
            ("http://x.y",                true),
            ("hxxp://x",                  true),
            ("Anna evil.example",         true),
            ("Dr.Smith",                  true),
            ("anna@evil.example",         true),
            ("evil\u{3002}example",       true),
            ("evil\u{FF0E}example",       true),
            ("пример.рф",                 true),
            ("xn--e1afmkfd.xn--p1ai",     true),
        ];
        for (text, want) in table {
            assert_eq!(is_link_like(text), *want, "{text:?}");
        }
    }

    #[test]
    fn names_that_could_become_links_are_left_out_and_others_escaped() {
        for language in Language::ALL {
            for name in ["www.evil.example", "http://x.y", "Visit evil.example now"] {
                let f = MailFacts {
                    name: name.into(),
                    device: format!("{name} (linux)"),
                    client_name: name.into(),
                    client_id: "xwms_ci_abc".into(),
                    ..facts()
                };
                for kind in MailKind::ALL {
                    let r = render(kind, language, &f);
                    for part in [&r.subject, &r.text, &r.html] {
                        assert!(!part.contains("evil"), "{kind:?} {language:?}: {part}");
                        assert!(!part.contains("x.y"), "{kind:?} {language:?}: {part}");
                    }
                }
                let r = render(MailKind::ApiClientCreated, language, &f);
                assert!(r.text.contains("xwms_ci_abc"), "{}", r.text);
                let r = render(MailKind::NewDeviceSignIn, language, &f);
                assert!(r.text.contains(hidden(language)), "{}", r.text);
            }
            let r = render(
                MailKind::TwoFactorEnabled,
                language,
                &MailFacts {
                    name: "www.evil.example".into(),
                    ..facts()
                },
            );
            assert!(
                r.text
                    .starts_with(&format!("{},\n", frame(language).greeting)),
                "{}",
                r.text
            );
            // A plain name stays, escaped in HTML.
            let r = render(
                MailKind::ApiClientCreated,
                language,
                &MailFacts {
                    name: "Anna <i>&</i>".into(),
                    client_name: "deploy <bot>".into(),
                    ..facts()
                },
            );
            assert!(
                r.html.contains("Anna &lt;i&gt;&amp;&lt;/i&gt;"),
                "{}",
                r.html
            );
            assert!(r.html.contains("deploy &lt;bot&gt;"), "{}", r.html);
            assert!(
                r.text.contains("deploy <bot>") && r.text.contains("xwms_ci_abc"),
                "{}",
                r.text
            );
        }
    }

    #[test]
    fn recovery_codes_left_are_counted_in_words() {
        let with = |left| MailFacts {
            codes_left: left,
            ..facts()
        };
        let text = |language, left| render(MailKind::RecoveryCodeUsed, language, &with(left)).text;
        assert!(text(Language::En, 3).contains("you have 3 recovery codes left"));
        assert!(text(Language::En, 1).contains("you have 1 recovery code left"));
        assert!(text(Language::En, 0).contains("you have no recovery codes left"));
        assert!(text(Language::Nl, 7).contains("u heeft nog 7 herstelcodes"));
        assert!(
            text(Language::Nl, 1).contains("u heeft nog 1 herstelcode;")
                || text(Language::Nl, 1).contains("u heeft nog 1 herstelcode.")
        );
        assert!(text(Language::Fr, 2).contains("il vous reste 2 codes de récupération"));
        assert!(text(Language::Fr, 0).contains("il ne vous reste aucun code de récupération"));
    }

    #[test]
    fn greetings_and_facts_are_localised() {
        let f = facts();
        assert!(render(MailKind::VerifyEmail, Language::Nl, &f)
            .text
            .starts_with("Hallo Anna"));
        assert!(render(MailKind::VerifyEmail, Language::Fr, &f)
            .text
            .starts_with("Bonjour Anna"));
        let anonymous = MailFacts {
            name: String::new(),
            ..f.clone()
        };
        assert!(
            render(MailKind::RecoveryAcknowledgement, Language::En, &anonymous)
                .text
                .starts_with("Hello,\n")
        );
        let r = render(MailKind::RecoveryAcknowledgement, Language::Nl, &f);
        assert!(
            r.subject.contains("REC-7K2M9Q") && r.text.contains("2 werkdagen"),
            "{}",
            r.text
        );
        let r = render(
            MailKind::ResetCode,
            Language::En,
            &MailFacts { minutes: 10, ..f },
        );
        assert!(r.text.contains("valid for 10 minutes"), "{}", r.text);
    }

    #[test]
    fn when_is_shown_in_the_persons_time_zone() {
        let at = datetime!(2026-05-06 07:08:09 UTC);
        assert_eq!(format_when(at, "Europe/Amsterdam"), "2026-05-06 09:08 CEST");
        assert_eq!(format_when(at, "UTC"), "2026-05-06 07:08 UTC");
        assert_eq!(format_when(at, "Not/AZone"), "2026-05-06 07:08 UTC");
    }
}
