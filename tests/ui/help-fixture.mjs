// TEST FIXTURE — a tiny help center written for the browser tests, in English, Dutch and
// French. It is not XWMS's help content (that lives in content/help and is searched by the
// Rust side, which is tested there); it only gives the in-page stand-in of harness.mjs
// something realistic to serve: two topics, six questions, links to app routes and to the web.

const article = (id, category, order, popular, tags, langs) => ({ id, category, order, popular, tags, langs });
/** A link of an answer, as the Rust side hands it over (`answer` is text and links, in order). */
const link = (label, target) => ({ kind: "link", label, target, external: target.startsWith("https://") });

export const HELP_FIXTURE = {
  categories: [
    {
      slug: "account-security",
      order: 1,
      en: { title: "Account & Security (fixture)", subtitle: "Passwords, sessions and two-step sign-in." },
      nl: { title: "Account & beveiliging (fixture)", subtitle: "Wachtwoorden, sessies en inloggen in twee stappen." },
      fr: { title: "Compte et sécurité (fixture)", subtitle: "Mots de passe, sessions et connexion en deux étapes." },
    },
    {
      slug: "using-the-app",
      order: 2,
      en: { title: "Using XWMS Desktop (fixture)", subtitle: "Support, offline help and settings." },
      nl: { title: "XWMS Desktop gebruiken (fixture)", subtitle: "Ondersteuning, offline help en instellingen." },
      fr: { title: "Utiliser XWMS Desktop (fixture)", subtitle: "Assistance, aide hors ligne et paramètres." },
    },
  ],
  articles: [
    article("forgot-password", "account-security", 1, true, { en: ["password", "reset"], nl: ["wachtwoord", "herstellen"], fr: ["mot de passe", "réinitialiser"] }, {
      en: {
        title: "I forgot my password. How do I reset it?",
        answer: ["Open the ", link("sign-in page", "/login"), ", enter your email address and choose Forgot password. We mail you a code to set a new password. No mail? ", link("Contact support", "/support"), "."],
      },
      nl: {
        title: "Ik ben mijn wachtwoord vergeten. Hoe stel ik een nieuw in?",
        answer: ["Open de ", link("inlogpagina", "/login"), ", vul uw e-mailadres in en kies Wachtwoord vergeten. U ontvangt een code om een nieuw wachtwoord in te stellen. Geen e-mail? ", link("Neem contact op", "/support"), "."],
      },
      fr: {
        title: "J'ai oublié mon mot de passe. Comment le réinitialiser ?",
        answer: ["Ouvrez la ", link("page de connexion", "/login"), ", saisissez votre adresse e-mail et choisissez Mot de passe oublié. Vous recevez un code pour définir un nouveau mot de passe. Pas d'e-mail ? ", link("Contactez l'assistance", "/support"), "."],
      },
    }),
    article("change-password", "account-security", 2, true, { en: ["password", "security"], nl: ["wachtwoord", "beveiliging"], fr: ["mot de passe", "sécurité"] }, {
      en: {
        title: "How do I change my password?",
        answer: ["Go to ", link("Security", "/account/security"), ", enter your current password and choose a new one. Still stuck? Ask ", link("support", "/support"), "."],
      },
      nl: {
        title: "Hoe wijzig ik mijn wachtwoord?",
        answer: ["Ga naar ", link("Beveiliging", "/account/security"), ", vul uw huidige wachtwoord in en kies een nieuw wachtwoord. Lukt het niet? Vraag het ", link("ondersteuning", "/support"), "."],
      },
      fr: {
        title: "Comment modifier mon mot de passe ?",
        answer: ["Allez dans ", link("Sécurité", "/account/security"), ", saisissez votre mot de passe actuel et choisissez-en un nouveau. Un souci ? Demandez à l'", link("assistance", "/support"), "."],
      },
    }),
    article("active-sessions", "account-security", 3, true, { en: ["sessions", "devices", "security"], nl: ["sessies", "apparaten", "beveiliging"], fr: ["sessions", "appareils", "sécurité"] }, {
      en: {
        title: "Where can I see my active sessions?",
        answer: ["Your ", link("active sessions", "/account/sessions"), " show every device that is signed in. You can also check them on ", link("xwms.nl", "https://xwms.nl/sign"), "."],
      },
      nl: {
        title: "Waar zie ik mijn actieve sessies?",
        answer: ["Uw ", link("actieve sessies", "/account/sessions"), " tonen elk apparaat dat is ingelogd. U kunt ze ook bekijken op ", link("xwms.nl", "https://xwms.nl/sign"), "."],
      },
      fr: {
        title: "Où voir mes sessions actives ?",
        answer: ["Vos ", link("sessions actives", "/account/sessions"), " montrent chaque appareil connecté. Vous pouvez aussi les consulter sur ", link("xwms.nl", "https://xwms.nl/sign"), "."],
      },
    }),
    article("enable-2fa", "account-security", 4, false, { en: ["2fa", "security"], nl: ["2fa", "beveiliging"], fr: ["2fa", "sécurité"] }, {
      en: {
        title: "How do I turn on two-step sign-in?",
        answer: ["Two-step sign-in asks for a code from your phone after your password. Turn it on under ", link("Security", "/account/security"), "."],
      },
      nl: {
        title: "Hoe zet ik inloggen in twee stappen aan?",
        answer: ["Bij inloggen in twee stappen vragen we na uw wachtwoord om een code van uw telefoon. Zet het aan bij ", link("Beveiliging", "/account/security"), "."],
      },
      fr: {
        title: "Comment activer la connexion en deux étapes ?",
        answer: ["🔐 La connexion en deux étapes demande un code de votre téléphone après votre mot de passe. Activez-la dans ", link("Sécurité", "/account/security"), "."],
      },
    }),
    article("contact-support", "using-the-app", 1, true, { en: ["support", "contact"], nl: ["ondersteuning", "contact"], fr: ["assistance", "contact"] }, {
      en: {
        title: "How do I contact XWMS support?",
        answer: ["Open ", link("Support", "/support"), " in the app. Our ", link("terms", "/terms"), " and ", link("privacy statement", "/privacy"), " say how we handle your request."],
      },
      nl: {
        title: "Hoe neem ik contact op met de ondersteuning van XWMS?",
        answer: ["Open ", link("Ondersteuning", "/support"), " in de app. Onze ", link("voorwaarden", "/terms"), " en ", link("privacyverklaring", "/privacy"), " beschrijven hoe we met uw vraag omgaan."],
      },
      fr: {
        title: "Comment contacter l'assistance XWMS ?",
        answer: ["Ouvrez ", link("Assistance", "/support"), " dans l'application. Nos ", link("conditions", "/terms"), " et notre ", link("déclaration de confidentialité", "/privacy"), " expliquent comment nous traitons votre demande."],
      },
    }),
    article("offline-help", "using-the-app", 2, false, { en: ["offline", "settings"], nl: ["offline", "instellingen"], fr: ["hors ligne", "paramètres"] }, {
      en: {
        title: "Does the help work without internet?",
        answer: ["Yes. The answers are saved on your computer and updated when you are online. The server address is in ", link("Settings", "/settings"), "."],
      },
      nl: {
        title: "Werkt de help zonder internet?",
        answer: ["Ja. De antwoorden worden op uw computer bewaard en bijgewerkt zodra u online bent. Het serveradres staat bij ", link("Instellingen", "/settings"), "."],
      },
      fr: {
        title: "L'aide fonctionne-t-elle sans internet ?",
        answer: ["Oui. Les réponses sont enregistrées sur votre ordinateur et mises à jour dès que vous êtes en ligne. L'adresse du serveur se trouve dans les ", link("Paramètres", "/settings"), "."],
      },
    }),
  ],
};
