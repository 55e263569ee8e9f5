// Live support in Chromium, under the app's CSP, against the harness's stand-in for the
// support commands: the home list, a conversation (agent replies, typing, Seen, Retry, no HTML
// from a message body), a new conversation with help suggestions and deflection, the guest
// case, and the screens at 800×600 in en/nl/fr and in the dark theme (no sideways scroll).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANNA, DEFAULT_SETTINGS, browserSuite, offlineState, screenshot, tid, waitText } from "./harness.mjs";

const withApp = browserSuite();

const at = (minutesAgo) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const sam = { kind: "agent", name: "Sam" };
const anna = { kind: "person", name: ANNA.profile.name };

function summary(overrides) {
  return {
    id: "conv_mail",
    reference: "SUP-4H7K2M",
    topic: "mail_not_arriving",
    subject: "The verification mail never arrives",
    status: "waiting_for_you",
    language: "en",
    created_at: at(300),
    updated_at: at(30),
    last_seq: 0,
    preview: "",
    unread: 0,
    last_read_seq: 0,
    other_last_read_seq: 0,
    viewer: "person",
    agent_name: "Sam",
    rating: null,
    reopen_until: null,
    guest: false,
    ...overrides,
  };
}

function msg(conv, seq, author, body, kind = "text", minutesAgo = 60 - seq) {
  return { id: `m_${conv}_${seq}`, conversation_id: conv, seq, client_msg_id: kind === "text" ? `c-${conv}-${seq}` : "", kind, author, body, attachments: [], created_at: at(minutesAgo) };
}

const SEED = [
  {
    conversation: summary({ last_read_seq: 4 }),
    messages: [
      msg("conv_mail", 1, anna, "I signed up yesterday but the mail with the code never came."),
      msg("conv_mail", 2, sam, "", "agent_joined"),
      msg("conv_mail", 3, sam, "Could you check your spam folder? More at https://xwms.example/help/mail."),
      msg("conv_mail", 4, anna, "Nothing there either. <img src=x onerror=\"document.title='hacked'\">"),
    ],
  },
  {
    conversation: summary({ id: "conv_2fa", reference: "SUP-1A2B3C", topic: "question", subject: "Two-step sign-in on a new phone", updated_at: at(90), last_read_seq: 1 }),
    messages: [msg("conv_2fa", 1, anna, "How do I move my codes to a new phone?"), msg("conv_2fa", 2, sam, "Open Security, then turn two-step sign-in off and on again on the new phone.")],
  },
  {
    conversation: summary({ id: "conv_del", reference: "SUP-9Q2W4E", topic: "account_deletion", subject: "Delete my old account", status: "resolved", updated_at: at(4000), last_read_seq: 9, reopen_until: new Date(Date.now() + 4 * 86_400_000).toISOString() }),
    messages: [msg("conv_del", 1, anna, "Please delete my old account."), msg("conv_del", 2, sam, "Done: your account has been deleted."), msg("conv_del", 3, { kind: "system", name: "" }, "", "resolved")],
  },
  {
    conversation: summary({ id: "conv_rec", reference: "REC-7K2M9Q", topic: "account_recovery", subject: "Account recovery", status: "new", updated_at: at(20), guest: true, agent_name: null }),
    messages: [msg("conv_rec", 1, anna, "I lost my phone and my recovery codes.")],
  },
];

const signedIn = { session: ANNA.profile.email, support: { conversations: SEED.slice(0, 3) } };

/** The page scrolls sideways nowhere: not the window, not the main area. */
async function assertNoSidewaysScroll(page, what) {
  const over = await page.evaluate(() => {
    const main = document.querySelector("main");
    return {
      doc: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      main: main ? main.scrollWidth - main.clientWidth : 0,
    };
  });
  assert.deepEqual(over, { doc: 0, main: 0 }, `no horizontal scroll on ${what}`);
}

describe("support", () => {
  it("lists conversations with unread first, and a conversation shows replies, typing, Seen and Retry", async () => {
    await withApp({ ...signedIn, hash: "#/support" }, async ({ page }) => {
      await page.waitForSelector(tid("support-row"));
      const ids = await page.$$eval(tid("support-row"), (rows) => rows.map((r) => r.getAttribute("data-id")));
      assert.deepEqual(ids, ["conv_2fa", "conv_mail", "conv_del"]);
      await waitText(page, tid("nav-support-unread"), "1");
      await screenshot(page, "support-home-en-light");

      await page.click(`${tid("support-row")}[data-id="conv_mail"]`);
      await page.waitForSelector(tid("support-thread"));
      assert.equal(await page.locator(`${tid("support-thread")} img`).count(), 0, "a message body is never HTML");
      assert.match(await page.textContent(tid("support-thread")), /<img src=x onerror=/);
      await waitText(page, `${tid("support-system")}`, `Sam joined the conversation ${await page.textContent(`${tid("support-system")} time`)}`);

      // The agent types, then answers; the person's message is seen.
      await page.evaluate(() => window.__TEST_IPC__.support.typing("conv_mail"));
      await waitText(page, tid("support-typing"), "Sam is typing…");
      await page.evaluate(() => window.__TEST_IPC__.support.agentSays("conv_mail", "Found it: the address had a typo. I fixed it."));
      await page.waitForFunction(() => document.body.textContent?.includes("I fixed it."));
      assert.equal(await page.locator(tid("support-typing")).count(), 0, "a message ends the typing signal");
      await page.evaluate(() => window.__TEST_IPC__.support.agentReads("conv_mail"));
      await page.waitForSelector(tid("support-seen"));

      // Send; a refused one shows Retry and goes out on Retry.
      await page.fill(tid("support-reply"), "Thank you, it arrived!");
      await page.click(tid("support-reply-send"));
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="support-message-body"]')].some((e) => e.textContent === "Thank you, it arrived!"));
      assert.equal(await page.inputValue(tid("support-reply")), "");
      await page.fill(tid("support-reply"), "fail");
      await page.click(tid("support-reply-send"));
      await page.waitForSelector(tid("support-retry"));
      await screenshot(page, "support-conversation-en-light");
      await page.click(tid("support-retry"));
      await page.waitForFunction(() => document.body.textContent?.includes("Delivered on retry"));
      assert.equal(await page.locator(tid("support-pending")).count(), 0);
      // Attach by the picker (a text file is refused with a clear error) and by pasting.
      await page.setInputFiles(tid("support-reply-picker"), { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hi") });
      await waitText(page, tid("support-reply-error"), "Only PNG and JPEG images and PDF files can be attached.");
      await page.setInputFiles(tid("support-reply-picker"), { name: "screen.png", mimeType: "image/png", buffer: Buffer.from([137, 80, 78, 71]) });
      await page.evaluate(() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array([255, 216, 255])], "", { type: "image/jpeg" }));
        document.querySelector('[data-testid="support-reply"]').dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
      });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="support-reply-files"] li').length === 2);
      await page.fill(tid("support-reply"), "Two screenshots");
      await page.click(tid("support-reply-send"));
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="support-message"]')].some((e) => e.textContent?.includes("screen.png") && e.textContent?.includes("pasted.jpg")));
      const uploads = await page.evaluate(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "support_attach_pasted").map((c) => [c.args.name, c.args.bytes.length]));
      assert.deepEqual(uploads, [["screen.png", 4], ["pasted.jpg", 3]]);

      // Marked read while on screen.
      const reads = await page.evaluate(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "support_mark_read").map((c) => c.args.id));
      assert.ok(reads.includes("conv_mail"), `marked read: ${reads}`);
      assert.equal(await page.title(), "Support · XWMS Desktop");
    });
  });

  it("suggests help while writing; 'This answered it' starts nothing; a question sent opens its conversation", async () => {
    await withApp({ ...signedIn, support: { conversations: [], agentsOnline: 0 }, hash: "#/help/article/contact-support" }, async ({ page }) => {
      // The answer's "Support" link starts a new conversation.
      await page.click(`${tid("help-link")}[data-target="/support"]`);
      await page.waitForSelector(tid("support-topic"));
      assert.match(await page.evaluate(() => location.hash), /^#\/support\/new/);
      await waitText(page, tid("support-no-agent"), "No one of the support team is online right now. Leave your question: you get the answer by mail and here in the app, within 2 working days.");
      await page.selectOption(tid("support-topic"), "question");
      await page.fill(tid("support-subject"), "I forgot my password");
      await page.waitForSelector(tid("support-suggestion"));
      const n = await page.locator(tid("support-suggestion")).count();
      assert.ok(n >= 1 && n <= 3, `1 to 3 suggestions, got ${n}`);
      await page.fill(tid("support-body"), "How do I reset it?");
      await screenshot(page, "support-new-en-light");

      // Leaving and coming back keeps what was written.
      await page.click(tid("nav-help"));
      await page.evaluate(() => (location.hash = "#/support/new"));
      await page.waitForSelector(tid("support-subject"));
      assert.equal(await page.inputValue(tid("support-subject")), "I forgot my password");
      assert.equal(await page.inputValue(tid("support-body")), "How do I reset it?");

      await page.locator(tid("support-answered")).first().click();
      await page.waitForSelector(tid("support-deflected"));
      const deflections = await page.evaluate(() => window.__TEST_IPC__.support.deflections);
      assert.equal(deflections.length, 1);
      assert.equal(deflections[0].topic, "question");

      // A real question: sent, then its conversation opens.
      await page.evaluate(() => (location.hash = "#/support/new?topic=account_deletion"));
      await page.waitForSelector(tid("support-subject"));
      assert.equal(await page.inputValue(tid("support-subject")), "", "the deflected draft is gone");
      await page.fill(tid("support-subject"), "Delete my account");
      await page.fill(tid("support-body"), "Please delete my account and my data.");
      // Files by the picker and by pasting, as in a reply; one removed before sending.
      await page.setInputFiles(tid("support-body-picker"), [
        { name: "error.png", mimeType: "image/png", buffer: Buffer.from([137, 80, 78, 71]) },
        { name: "wrong.png", mimeType: "image/png", buffer: Buffer.from([137, 80, 78, 71]) },
      ]);
      await page.evaluate(() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array([255, 216, 255])], "", { type: "image/jpeg" }));
        document.querySelector('[data-testid="support-body"]').dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
      });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="support-body-files"] li').length === 3);
      await page.click('[aria-label="Remove wrong.png"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="support-body-files"] li').length === 2);
      await page.click(tid("support-body-send"));
      await waitText(page, tid("support-subject-title"), "Delete my account");
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="support-message"]')].some((e) => e.textContent?.includes("error.png") && e.textContent?.includes("pasted.jpg")));
      const newUploads = await page.evaluate(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "support_attach_new_pasted").map((c) => [c.args.name, c.args.bytes.length]));
      assert.deepEqual(newUploads, [["error.png", 4], ["pasted.jpg", 3]]);
      await waitText(page, tid("support-status"), "New");
      await page.click(tid("nav-support"));
      await page.waitForSelector(tid("support-row"));
      assert.equal(await page.locator(tid("support-row")).count(), 1);
    });
  });

  it("offline: the list shows its age and a message waits in the outbox", async () => {
    await withApp({ ...signedIn, support: { ...signedIn.support, cachedAt: at(5) }, connection: offlineState(), hash: "#/support" }, async ({ page }) => {
      await waitText(page, tid("support-offline"), "You are offline. This is your list as it was 5 minutes ago; new messages are sent when the connection is back.");
      await screenshot(page, "support-home-offline-en-light");
      await page.click(`${tid("support-row")}[data-id="conv_mail"]`);
      await page.fill(tid("support-reply"), "Written on the train");
      await page.click(tid("support-reply-send"));
      await waitText(page, tid("support-sending"), "Sending…");
      const outbox = await page.evaluate(() => window.__TEST_IPC__.support.outbox());
      assert.deepEqual(outbox.map((p) => p.body), ["Written on the train"]);
    });
  });

  it("signed out: Support says a conversation needs an account; a recovery case opens with its reference and a code", async () => {
    await withApp({ support: { conversations: [SEED[3]] }, hash: "#/contact" }, async ({ page }) => {
      await waitText(page, "main h1", "Support");
      await waitText(page, `${tid("support-signed-out")} .card-lead`, "You must be signed in to start a support ticket.");
      await page.click(tid("support-guest"));
      await page.fill(tid("support-guest-reference"), "REC-7K2M9Q");
      await page.click(tid("support-guest-send-code"));
      await page.fill(tid("support-guest-code"), "123456");
      await page.click(tid("support-guest-open"));
      await waitText(page, tid("support-guest-title"), "Account recovery");
      await screenshot(page, "support-guest-en-light");
      await page.fill(tid("support-guest-reply"), "I can send a photo of my ID.");
      await page.click(tid("support-guest-reply-send"));
      await page.waitForFunction(() => document.body.textContent?.includes("I can send a photo of my ID."));
      // Live: the agent's typing and reply arrive without a reload, and there is no Refresh.
      await page.evaluate(() => window.__TEST_IPC__.support.typing("conv_rec"));
      await waitText(page, tid("support-typing"), "Sam is typing…");
      await page.evaluate(() => window.__TEST_IPC__.support.agentSays("conv_rec", "Thanks, we are checking it."));
      await page.waitForFunction(() => document.body.textContent?.includes("Thanks, we are checking it."));
      assert.equal(await page.locator(tid("support-guest-refresh")).count(), 0);
    });
  });

  it("fits 800×600 in en, nl and fr, light and dark", async () => {
    for (const [language, colorScheme, query] of [
      ["en", "dark", "password"],
      ["nl", "light", "wachtwoord"],
      ["fr", "light", "passe"],
      ["fr", "dark", "passe"],
    ]) {
      await withApp(
        { ...signedIn, settings: { ...DEFAULT_SETTINGS, language, theme: "system" }, colorScheme, hash: "#/support" },
        async ({ page }) => {
          await page.setViewportSize({ width: 800, height: 600 });
          await page.waitForSelector(tid("support-row"));
          await assertNoSidewaysScroll(page, `support home ${language}`);
          await screenshot(page, `support-home-${language}-${colorScheme}-800`);
          await page.click(`${tid("support-row")}[data-id="conv_mail"]`);
          await page.waitForSelector(tid("support-thread"));
          await page.evaluate(() => window.__TEST_IPC__.support.typing("conv_mail"));
          await page.waitForSelector(tid("support-typing"));
          await assertNoSidewaysScroll(page, `conversation ${language}`);
          await screenshot(page, `support-conversation-${language}-${colorScheme}-800`);
          await page.evaluate(() => (location.hash = "#/support/conversation/conv_del"));
          await page.waitForSelector(tid("support-rate"));
          await assertNoSidewaysScroll(page, `resolved conversation ${language}`);
          await screenshot(page, `support-resolved-${language}-${colorScheme}-800`);
          await page.evaluate(() => (location.hash = "#/support/new?topic=mail_not_arriving"));
          await page.waitForSelector(tid("support-subject"));
          await page.fill(tid("support-subject"), query);
          await page.waitForSelector(tid("support-suggestion"));
          await assertNoSidewaysScroll(page, `new conversation ${language}`);
          await screenshot(page, `support-new-${language}-${colorScheme}-800`);
          const text = await page.evaluate(() => document.body.innerText);
          assert.doesNotMatch(text, /\bsupport\.[a-z]+/i, "no message key shows instead of a text");
        },
      );
    }
  });
});
