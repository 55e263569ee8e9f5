// TEST FIXTURE — a tiny help center written for the browser tests, in English, Dutch and
// French. It is not XWMS's help content (that lives in content/help and is searched by the
// Rust side, which is tested there); it only gives the in-page stand-in of harness.mjs
// something realistic to serve: two topics, six questions, links to app routes and to the web.

const article = (id, category, order, popular, tags, langs) => ({ id, category, order, popular, tags, langs });

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
        body: "Open the [sign-in page](/login), enter your email address and choose Forgot password. We mail you a code to set a new password. No mail? [Contact support](/support).",
      },
      nl: {
        title: "Ik ben mijn wachtwoord vergeten. Hoe stel ik een nieuw in?",
        body: "Open de [inlogpagina](/login), vul uw e-mailadres in en kies Wachtwoord vergeten. U ontvangt een code om een nieuw wachtwoord in te stellen. Geen e-mail? [Neem contact op](/support).",
      },
      fr: {
        title: "J'ai oublié mon mot de passe. Comment le réinitialiser ?",
        body: "Ouvrez la [page de connexion](/login), saisissez votre adresse e-mail et choisissez Mot de passe oublié. Vous recevez un code pour définir un nouveau mot de passe. Pas d'e-mail ? [Contactez l'assistance](/support).",
      },
    }),
    article("change-password", "account-security", 2, true, { en: ["password", "security"], nl: ["wachtwoord", "beveiliging"], fr: ["mot de passe", "sécurité"] }, {
      en: {
        title: "How do I change my password?",
        body: "Go to [Security](/account/security), enter your current password and choose a new one. Still stuck? Ask [support](/support).",
      },
      nl: {
        title: "Hoe wijzig ik mijn wachtwoord?",
        body: "Ga naar [Beveiliging](/account/security), vul uw huidige wachtwoord in en kies een nieuw wachtwoord. Lukt het niet? Vraag het [ondersteuning](/support).",
      },
      fr: {
        title: "Comment modifier mon mot de passe ?",
        body: "Allez dans [Sécurité](/account/security), saisissez votre mot de passe actuel et choisissez-en un nouveau. Un souci ? Demandez à l'[assistance](/support).",
      },
    }),
    article("active-sessions", "account-security", 3, true, { en: ["sessions", "devices", "security"], nl: ["sessies", "apparaten", "beveiliging"], fr: ["sessions", "appareils", "sécurité"] }, {
      en: {
        title: "Where can I see my active sessions?",
        body: "Your [active sessions](/account/sessions) show every device that is signed in. You can also check them on [xwms.nl](https://xwms.nl/sign).",
      },
      nl: {
        title: "Waar zie ik mijn actieve sessies?",
        body: "Uw [actieve sessies](/account/sessions) tonen elk apparaat dat is ingelogd. U kunt ze ook bekijken op [xwms.nl](https://xwms.nl/sign).",
      },
      fr: {
        title: "Où voir mes sessions actives ?",
        body: "Vos [sessions actives](/account/sessions) montrent chaque appareil connecté. Vous pouvez aussi les consulter sur [xwms.nl](https://xwms.nl/sign).",
      },
    }),
    article("enable-2fa", "account-security", 4, false, { en: ["2fa", "security"], nl: ["2fa", "beveiliging"], fr: ["2fa", "sécurité"] }, {
      en: {
        title: "How do I turn on two-step sign-in?",
        body: "Two-step sign-in asks for a code from your phone after your password. Turn it on under [Security](/account/security).",
      },
      nl: {
        title: "Hoe zet ik inloggen in twee stappen aan?",
        body: "Bij inloggen in twee stappen vragen we na uw wachtwoord om een code van uw telefoon. Zet het aan bij [Beveiliging](/account/security).",
      },
      fr: {
        title: "Comment activer la connexion en deux étapes ?",
        body: "🔐 La connexion en deux étapes demande un code de votre téléphone après votre mot de passe. Activez-la dans [Sécurité](/account/security).",
      },
    }),
    article("contact-support", "using-the-app", 1, true, { en: ["support", "contact"], nl: ["ondersteuning", "contact"], fr: ["assistance", "contact"] }, {
      en: {
        title: "How do I contact XWMS support?",
        body: "Open [Support](/support) in the app. Our [terms](/terms) and [privacy statement](/privacy) say how we handle your request.",
      },
      nl: {
        title: "Hoe neem ik contact op met de ondersteuning van XWMS?",
        body: "Open [Ondersteuning](/support) in de app. Onze [voorwaarden](/terms) en [privacyverklaring](/privacy) beschrijven hoe we met uw vraag omgaan.",
      },
      fr: {
        title: "Comment contacter l'assistance XWMS ?",
        body: "Ouvrez [Assistance](/support) dans l'application. Nos [conditions](/terms) et notre [déclaration de confidentialité](/privacy) expliquent comment nous traitons votre demande.",
      },
    }),
    article("offline-help", "using-the-app", 2, false, { en: ["offline", "settings"], nl: ["offline", "instellingen"], fr: ["hors ligne", "paramètres"] }, {
      en: {
        title: "Does the help work without internet?",
        body: "Yes. The answers are saved on your computer and updated when you are online. The server address is in [Settings](/settings).",
      },
      nl: {
        title: "Werkt de help zonder internet?",
        body: "Ja. De antwoorden worden op uw computer bewaard en bijgewerkt zodra u online bent. Het serveradres staat bij [Instellingen](/settings).",
      },
      fr: {
        title: "L'aide fonctionne-t-elle sans internet ?",
        body: "Oui. Les réponses sont enregistrées sur votre ordinateur et mises à jour dès que vous êtes en ligne. L'adresse du serveur se trouve dans les [Paramètres](/settings).",
      },
    }),
  ],
};
