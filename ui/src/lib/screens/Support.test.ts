// Live support: the home list, a new conversation (suggestions, deflection, draft), a
// conversation (order, states, retry, Seen, typing, plain text only, attachments, rating) and
// a guest case.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Sidebar from "$lib/components/Sidebar.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { account } from "$lib/stores/account.svelte";
import { connection } from "$lib/stores/connection.svelte";
import { support } from "$lib/stores/support.svelte";
import { startAppLinks } from "$lib/app-links";
import type { AppLink } from "$lib/ipc";
import { seenMessageId, splitLinks, topicForHelp, TYPING_EXPIRES_MS } from "$lib/support";
import SupportConversationScreen from "./SupportConversationScreen.svelte";
import SupportGuestScreen from "./SupportGuestScreen.svelte";
import SupportNewScreen from "./SupportNewScreen.svelte";
import SupportScreen from "./SupportScreen.svelte";
import { goTo, mockBackend, offline, PROFILE, refusal, resetStores } from "../../test/fixtures";
import { conversation, detail, LIST, message } from "../../test/support-fixtures";

let stop: (() => void) | null = null;

beforeEach(async () => {
  resetStores();
  support.reset();
  localStorage.clear();
  account.setProfile({ ...PROFILE });
});

afterEach(() => {
  stop?.();
  stop = null;
  vi.useRealTimers();
});

const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, " ").trim();
const listResult = (extra: Record<string, unknown> = {}) => ({ conversations: LIST, queued: [], unread_total: 2, cached_at: null, ...extra });
const hit = (id: string, title: string) => ({ id, lang: "en", slug: id, category: "mail", title, snippet: "", highlights: [], score: 1 });

describe("support home", () => {
  it("lists unread conversations first, then the newest, with topic, status and preview; the sidebar counts unread", async () => {
    mockBackend({ support_list: () => listResult(), support_availability: () => ({ agents_online: 1, answer_within_days: 2 }) });
    render(SupportScreen);
    await waitFor(() => expect(screen.queryAllByTestId("support-row")).toHaveLength(3));
    const rows = screen.getAllByTestId("support-row");
    expect(rows.map((r) => r.dataset.id)).toEqual(["conv_new", "conv_mail", "conv_delete"]);
    expect(text(within(rows[0]!).getByTestId("support-row-unread"))).toBe("2");
    expect(text(within(rows[0]!).getByTestId("support-row-status"))).toBe("Waiting for you");
    expect(text(within(rows[2]!).getByTestId("support-row-status"))).toBe("Resolved");
    expect(text(rows[2])).toContain("Account deletion");
    expect(text(rows[2])).toContain("Your account has been deleted.");
    expect(rows[1]?.getAttribute("href")).toBe("#/support/conversation/conv_mail");
    expect(text(await screen.findByTestId("support-availability"))).toBe("The support team is online now");
    expect(screen.getByTestId("support-new").getAttribute("href")).toBe("#/support/new");

    render(Sidebar, { active: "support" });
    expect(text(screen.getByTestId("nav-support-unread"))).toBe("2");
  });

  it("signed out: starting needs an account, and a recovery case can be followed", async () => {
    mockBackend();
    account.setProfile(null);
    render(SupportScreen);
    expect(text(screen.getByTestId("support-signed-out"))).toContain("You must be signed in to start a support ticket.");
    expect(screen.getByTestId("support-sign-in").getAttribute("href")).toBe("#/sign");
    expect(screen.getByTestId("support-guest").getAttribute("href")).toBe("#/support/guest");
    expect(screen.queryByTestId("support-new")).toBeNull();
  });

  it("offline: the local copy shows with its age, and a new conversation can still be written", async () => {
    const calls = mockBackend({
      support_list: () => listResult({ cached_at: new Date(Date.now() - 5 * 60_000).toISOString() }),
      connection_state: () => offline(),
    });
    connection.apply(offline());
    render(SupportScreen);
    const note = await screen.findByTestId("support-offline");
    expect(text(note)).toMatch(/You are offline\. This is your list as it was 5 minutes ago/);
    expect(screen.getAllByTestId("support-row")).toHaveLength(3);
    expect(screen.getByTestId("support-new")).toBeTruthy();
    expect(screen.queryByTestId("support-availability")).toBeNull();
    expect(calls.some((c) => c.cmd === "support_list")).toBe(true);
  });
});

describe("new conversation", () => {
  it("suggests up to three help articles; 'This answered it' records a deflection and starts nothing", async () => {
    const calls = mockBackend({
      support_availability: () => ({ agents_online: 2, answer_within_days: 2 }),
      help_search: () => [hit("a1", "Mail does not arrive"), hit("a2", "Check your spam"), hit("a3", "Change address"), hit("a4", "Fourth")],
    });
    await goTo("#/support/new?topic=mail_not_arriving");
    render(SupportNewScreen);
    expect((screen.getByTestId("support-topic") as HTMLSelectElement).value).toBe("mail_not_arriving");
    await fireEvent.input(screen.getByTestId("support-subject"), { target: { value: "No verification mail" } });
    const items = await screen.findAllByTestId("support-suggestion", {}, { timeout: 2000 });
    expect(items).toHaveLength(3);
    expect(within(items[0]!).getByTestId("support-suggestion-link").getAttribute("href")).toBe("#/help/article/a1");
    expect(calls.find((c) => c.cmd === "help_search")?.args).toMatchObject({ lang: "en", limit: 3 });

    await fireEvent.click(within(items[1]!).getByTestId("support-answered"));
    expect(text(await screen.findByTestId("support-deflected"))).toContain("No conversation was started");
    expect(calls.find((c) => c.cmd === "support_deflect")?.args).toEqual({ articleId: "a2", topic: "mail_not_arriving" });
    expect(calls.some((c) => c.cmd === "support_start")).toBe(false);
    expect(localStorage.getItem("xwms.support.draft")).toBeNull();
  });

  it("says so when no agent is online: the question is answered by mail and in the app", async () => {
    mockBackend({ support_availability: () => ({ agents_online: 0, answer_within_days: 2 }) });
    render(SupportNewScreen);
    expect(text(await screen.findByTestId("support-no-agent"))).toBe(
      "No one of the support team is online right now. Leave your question: you get the answer by mail and here in the app, within 2 working days.",
    );
  });

  it("keeps what was written across an error and leaving the screen, and sends it once accepted", async () => {
    let refuse = true;
    const calls = mockBackend({
      support_start: (a) => {
        if (refuse) return refusal("support.rate_limited")();
        return detail({ id: "conv_x", subject: String(a.subject) });
      },
    });
    await goTo("#/support/new");
    const first = render(SupportNewScreen);
    await fireEvent.change(screen.getByTestId("support-topic"), { target: { value: "account_deletion" } });
    await fireEvent.input(screen.getByTestId("support-subject"), { target: { value: "Delete my account" } });
    await fireEvent.input(screen.getByTestId("support-body"), { target: { value: "Please delete it." } });
    await fireEvent.click(screen.getByTestId("support-body-send"));
    expect(text(await screen.findByTestId("support-body-error"))).toBe("You are sending messages too quickly. Please wait a moment.");
    expect((screen.getByTestId("support-body") as HTMLTextAreaElement).value).toBe("Please delete it.");
    first.unmount();

    render(SupportNewScreen);
    expect((screen.getByTestId("support-topic") as HTMLSelectElement).value).toBe("account_deletion");
    expect((screen.getByTestId("support-subject") as HTMLInputElement).value).toBe("Delete my account");
    expect((screen.getByTestId("support-body") as HTMLTextAreaElement).value).toBe("Please delete it.");
    refuse = false;
    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_x"));
    expect(calls.filter((c) => c.cmd === "support_start").at(-1)?.args).toEqual({
      topic: "account_deletion",
      subject: "Delete my account",
      body: "Please delete it.",
      attachments: [],
    });
    expect(localStorage.getItem("xwms.support.draft")).toBeNull();
  });

  const PNG_BYTES = [137, 80, 78, 71, 13, 10, 26, 10];
  // jsdom's File has no arrayBuffer(); the app's webview has.
  const png = (name: string) =>
    Object.assign(new File([new Uint8Array(PNG_BYTES)], name, { type: "image/png" }), {
      arrayBuffer: async () => new Uint8Array(PNG_BYTES).buffer,
    });
  const uploaded = (name: string) => ({ id: `up_${name}`, file_name: name, content_type: "image/png", size_bytes: 8 });
  async function writeQuestion(): Promise<void> {
    await fireEvent.change(screen.getByTestId("support-topic"), { target: { value: "question" } });
    await fireEvent.input(screen.getByTestId("support-subject"), { target: { value: "An error" } });
    await fireEvent.input(screen.getByTestId("support-body"), { target: { value: "Here is the screenshot of the error." } });
  }

  it("attaches files by picker or paste, lists them removable, and starts the conversation with them", async () => {
    const calls = mockBackend({
      support_attach_new_pasted: (a) => uploaded(String(a.name)),
      support_start: () => detail({ id: "conv_files" }),
    });
    await goTo("#/support/new");
    render(SupportNewScreen);
    await writeQuestion();
    await fireEvent.change(screen.getByTestId("support-body-picker"), { target: { files: [png("error.png"), png("other.png")] } });
    await fireEvent.paste(screen.getByTestId("support-body"), { clipboardData: { files: [png("")] } });
    const list = screen.getByTestId("support-body-files");
    expect(within(list).getAllByRole("listitem").map(text)).toEqual(["error.png", "other.png", "Pasted image"]);
    await fireEvent.click(screen.getByRole("button", { name: "Remove other.png" }));
    expect(within(list).getAllByRole("listitem").map(text)).toEqual(["error.png", "Pasted image"]);
    // Nothing is uploaded before Send.
    expect(calls.some((c) => c.cmd === "support_attach_new_pasted")).toBe(false);

    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_files"));
    const sent = calls.filter((c) => c.cmd === "support_attach_new_pasted");
    expect(sent.map((c) => c.args.name)).toEqual(["error.png", "pasted.png"]);
    expect(sent[0]?.args.bytes).toEqual(PNG_BYTES);
    expect(calls.filter((c) => c.cmd === "support_start").at(-1)?.args).toEqual({
      topic: "question",
      subject: "An error",
      body: "Here is the screenshot of the error.",
      attachments: [uploaded("error.png"), uploaded("pasted.png")],
    });
  });

  it("keeps what was written when an upload is refused, says why in the person's language, and uploads nothing twice", async () => {
    setLanguage("nl");
    let refuse: string | null = "support.attachment_type";
    const calls = mockBackend({
      support_attach_new_pasted: (a) => {
        if (refuse && a.name === "second.png") return refusal(refuse)();
        return uploaded(String(a.name));
      },
      support_start: () => detail({ id: "conv_nl" }),
    });
    await goTo("#/support/new");
    render(SupportNewScreen);
    await writeQuestion();
    await fireEvent.change(screen.getByTestId("support-body-picker"), { target: { files: [png("first.png"), png("second.png")] } });
    await fireEvent.click(screen.getByTestId("support-body-send"));
    expect(text(await screen.findByTestId("support-body-error"))).toBe("U kunt alleen PNG- en JPEG-afbeeldingen en pdf-bestanden toevoegen.");
    expect((screen.getByTestId("support-body") as HTMLTextAreaElement).value).toBe("Here is the screenshot of the error.");
    expect((screen.getByTestId("support-subject") as HTMLInputElement).value).toBe("An error");
    expect(within(screen.getByTestId("support-body-files")).getAllByRole("listitem")).toHaveLength(2);
    expect(calls.some((c) => c.cmd === "support_start")).toBe(false);

    refuse = "support.uploads_full";
    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() =>
      expect(text(screen.getByTestId("support-body-error"))).toBe(
        "Er wachten te veel bestanden om verstuurd te worden. Start uw gesprek met de bestanden die u al hebt toegevoegd, of probeer het morgen opnieuw.",
      ),
    );

    refuse = null;
    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_nl"));
    const names = calls.filter((c) => c.cmd === "support_attach_new_pasted").map((c) => c.args.name);
    expect(names.filter((n) => n === "first.png"), "uploaded once, reused after the refusal").toHaveLength(1);
    expect(calls.filter((c) => c.cmd === "support_start").at(-1)?.args.attachments).toEqual([uploaded("first.png"), uploaded("second.png")]);
  });

  it("a message of files only may have no text", async () => {
    const calls = mockBackend({
      support_attach_new_pasted: (a) => uploaded(String(a.name)),
      support_start: () => detail({ id: "conv_only" }),
    });
    await goTo("#/support/new");
    render(SupportNewScreen);
    await fireEvent.change(screen.getByTestId("support-topic"), { target: { value: "question" } });
    await fireEvent.input(screen.getByTestId("support-subject"), { target: { value: "Screenshot" } });
    await fireEvent.click(screen.getByTestId("support-body-send"));
    expect(text(await screen.findByTestId("support-body-error"))).toBe("Write a message or attach a file.");
    await fireEvent.change(screen.getByTestId("support-body-picker"), { target: { files: [png("only.png")] } });
    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_only"));
    expect(calls.filter((c) => c.cmd === "support_start").at(-1)?.args.attachments).toEqual([uploaded("only.png")]);
  });

  it("offline, the question is queued and its conversation opens under its local id", async () => {
    const queued = {
      id: "local-9",
      conversation: null,
      queued: { local_id: "local-9", topic: "question", subject: "On the train", created_at: "2026-11-25T08:00:00Z", state: "sending", error: null },
      messages: [],
      cached_at: null,
    };
    const calls = mockBackend({ support_start: () => queued, connection_state: () => offline() });
    connection.apply(offline());
    await goTo("#/support/new");
    render(SupportNewScreen);
    expect(text(screen.getByTestId("support-new-offline"))).toContain("Your question is kept and sent to support as soon as the connection is back.");
    expect(text(screen.getByTestId("support-body-send"))).toBe("Send when online");
    // Files need the server, like a reply's: no picker offline, and the screen says so.
    expect(screen.queryByTestId("support-body-attach")).toBeNull();
    expect(text(screen.getByTestId("support-new-offline"))).toContain("Files can be attached once you are online again.");
    await fireEvent.change(screen.getByTestId("support-topic"), { target: { value: "question" } });
    await fireEvent.input(screen.getByTestId("support-subject"), { target: { value: "On the train" } });
    await fireEvent.input(screen.getByTestId("support-body"), { target: { value: "Hello" } });
    await fireEvent.click(screen.getByTestId("support-body-send"));
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/local-9"));
    expect(calls.filter((c) => c.cmd === "support_start")).toHaveLength(1);
  });

  it("asks for a topic and a subject before sending", async () => {
    const calls = mockBackend();
    await goTo("#/support/new");
    render(SupportNewScreen);
    await fireEvent.click(screen.getByTestId("support-body-send"));
    expect(await screen.findByText("Choose what your question is about.")).toBeTruthy();
    expect(calls.some((c) => c.cmd === "support_start")).toBe(false);
  });
});

describe("conversation", () => {
  async function open(d = detail(), handlers: Record<string, (a: Record<string, unknown>) => unknown> = {}) {
    const calls = mockBackend({ support_open: () => d, ...handlers });
    stop = await support.start();
    await goTo("#/support/conversation/conv_mail");
    render(SupportConversationScreen);
    await screen.findByTestId("support-thread");
    return calls;
  }

  it("shows messages in order with author and time, the agent joining, and links as safe links", async () => {
    const calls = await open();
    const items = [...screen.getByTestId("support-thread").children];
    expect(items.map((i) => i.getAttribute("data-testid"))).toEqual([
      "support-message",
      "support-system",
      "support-message",
      "support-message",
    ]);
    expect(text(items[1])).toContain("Sam joined the conversation");
    expect(text(within(items[0] as HTMLElement).getByTestId("support-message-author"))).toBe("You");
    expect(text(within(items[2] as HTMLElement).getByTestId("support-message-author"))).toBe("Sam");
    const link = within(items[2] as HTMLElement).getByTestId("support-link");
    expect(link.getAttribute("href")).toBe("https://xwms.example/help/mail");
    expect(text(within(items[2] as HTMLElement).getByTestId("support-message-body"))).toBe(
      "Could you check your spam folder? See https://xwms.example/help/mail.",
    );
    await fireEvent.click(link);
    await waitFor(() => expect(calls.find((c) => c.cmd === "open_external")?.args).toEqual({ url: "https://xwms.example/help/mail" }));
    expect(text(screen.getByTestId("support-status"))).toBe("Waiting for you");
    expect(text(screen.getByTestId("support-reference"))).toBe("SUP-4H7K2M");
  });

  it("never renders a message body as HTML", async () => {
    const evil = message(20, { author: { kind: "agent", name: "<b>Sam</b>" }, body: '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>' });
    await open(detail({}, [evil]));
    const thread = screen.getByTestId("support-thread");
    expect(thread.querySelector("img")).toBeNull();
    expect(thread.querySelector("script")).toBeNull();
    expect(thread.querySelector("b")).toBeNull();
    expect(text(thread)).toContain('<img src=x onerror="window.hacked=1">');
    expect(text(thread)).toContain("<b>Sam</b>");
    expect((window as { hacked?: number }).hacked).toBeUndefined();
  });

  it("shows Seen under the person's last message the other side read", async () => {
    await open(detail({ other_last_read_seq: 12 }));
    const seen = screen.getByTestId("support-seen");
    expect(seen.closest("li")?.getAttribute("data-seq")).toBe("10");
    expect(screen.getAllByTestId("support-seen")).toHaveLength(1);
    // The rule itself: only the person's text messages, the last one at or before the marker.
    const msgs = detail().messages;
    expect(seenMessageId(msgs, 0)).toBeNull();
    expect(seenMessageId(msgs, 13)).toBe("client-13");
    expect(seenMessageId([...msgs, message(20, { seq: null, state: "sending" })], 99)).toBe("client-13");
  });

  it("from an agent's side, 'You' and 'Seen' are the agent's messages, not the person's", async () => {
    await open(detail({ viewer: "agent", other_last_read_seq: 12 }));
    const authors = screen.getAllByTestId("support-message-author").map((a) => text(a));
    expect(authors).toEqual(["Anna de Vries", "You", "Anna de Vries"]);
    expect(screen.getByTestId("support-seen").closest("li")?.getAttribute("data-seq")).toBe("12");
    expect(seenMessageId(detail().messages, 13, "agent")).toBe("client-12");
  });

  it("marks the conversation read up to its newest seq while on screen", async () => {
    const calls = await open(detail({ last_seq: 16, last_read_seq: 12, unread: 1 }), { support_mark_read: () => null });
    await waitFor(() => expect(calls.find((c) => c.cmd === "support_mark_read")?.args).toEqual({ id: "conv_mail", seq: 16 }));
  });

  it("shows who is typing, until the signal expires", async () => {
    await open();
    await emit("support-changed", { type: "typing", conversation_id: "conv_mail", author: { kind: "agent", name: "Sam" } });
    expect(text(await screen.findByTestId("support-typing"))).toBe("Sam is typing…");
    // Typing elsewhere is not shown here.
    await emit("support-changed", { type: "typing", conversation_id: "conv_other", author: { kind: "agent", name: "Kim" } });
    expect(text(screen.getByTestId("support-typing"))).toBe("Sam is typing…");

    vi.useFakeTimers();
    support.setTyping("conv_mail", "Sam");
    vi.advanceTimersByTime(TYPING_EXPIRES_MS - 1);
    expect(support.typingIn("conv_mail")).toBe("Sam");
    vi.advanceTimersByTime(1);
    expect(support.typingIn("conv_mail")).toBeNull();
    vi.useRealTimers();
    await waitFor(() => expect(screen.queryByTestId("support-typing")).toBeNull());
  });

  it("shows a message as sending, then as sent; a failed one offers Retry", async () => {
    const failed = message(0, {
      id: null,
      seq: null,
      client_msg_id: "client-failed",
      body: "This one was refused",
      state: "failed",
      error: { code: "support.rate_limited", message: "" },
    });
    let d = detail({}, [failed]);
    const calls = await open(d, {
      support_open: () => d,
      support_send: (a) => message(0, { id: null, seq: null, client_msg_id: "client-new", body: String(a.body), state: "sending" }),
      support_retry: () => null,
    });
    expect(text(screen.getByTestId("support-failed"))).toContain("You are sending messages too quickly.");

    await fireEvent.click(screen.getByTestId("support-retry"));
    expect(calls.find((c) => c.cmd === "support_retry")?.args).toEqual({ clientMsgId: "client-failed" });

    await fireEvent.input(screen.getByTestId("support-reply"), { target: { value: "Still nothing" } });
    await fireEvent.click(screen.getByTestId("support-reply-send"));
    await waitFor(() => expect(screen.getAllByTestId("support-sending").length).toBeGreaterThan(0));
    expect(calls.find((c) => c.cmd === "support_send")?.args).toEqual({ id: "conv_mail", body: "Still nothing", attachments: [] });
    expect((screen.getByTestId("support-reply") as HTMLTextAreaElement).value).toBe("");

    // The server stored both: they show as sent messages, nothing is left in the outbox.
    d = detail({}, [
      message(15, { client_msg_id: "client-failed", body: "This one was refused" }),
      message(16, { client_msg_id: "client-new", body: "Still nothing" }),
    ]);
    await emit("support-changed", { type: "outbox", client_msg_id: "client-new", local_id: "conv_mail", conversation_id: "conv_mail", state: "sent", error: null });
    await waitFor(() => expect(screen.queryAllByTestId("support-pending")).toHaveLength(0));
    expect(screen.getAllByTestId("support-message")).toHaveLength(5);
  });

  it("a conversation started offline shows under its local id, then under the server's", async () => {
    let created = false;
    const queuedView = {
      id: "local-1",
      conversation: null,
      queued: { local_id: "local-1", topic: "question", subject: "Written offline", created_at: "2026-11-25T08:00:00Z", state: "sending", error: null },
      messages: [message(0, { id: null, seq: null, client_msg_id: "local-1", body: "Hello from the train", state: "sending" })],
      cached_at: null,
    };
    mockBackend({ support_open: () => (created ? detail({ id: "conv_srv", subject: "Written offline" }) : queuedView) });
    stop = await support.start();
    await goTo("#/support/conversation/local-1");
    render(SupportConversationScreen);
    expect(text(await screen.findByTestId("support-status"))).toBe("Waiting to send");
    expect(screen.getAllByTestId("support-sending")).toHaveLength(1);
    created = true;
    await emit("support-changed", { type: "outbox", client_msg_id: "local-1", local_id: "local-1", conversation_id: "conv_srv", state: "sent", error: null });
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_srv"));
    expect(text(screen.getByTestId("support-status"))).toBe("Waiting for you");
  });

  it("says 'typing' to the other side at most every 3 seconds", async () => {
    const calls = await open(detail(), { support_typing: () => true });
    const box = screen.getByTestId("support-reply");
    for (const value of ["H", "He", "Hel", "Hell", "Hello"]) await fireEvent.input(box, { target: { value } });
    expect(calls.filter((c) => c.cmd === "support_typing")).toEqual([{ cmd: "support_typing", args: { id: "conv_mail" } }]);
  });

  it("keeps the reply when sending is refused, and across leaving the screen", async () => {
    await open(detail(), { support_send: refusal("support.message_too_long") });
    await fireEvent.input(screen.getByTestId("support-reply"), { target: { value: "My long story" } });
    await fireEvent.click(screen.getByTestId("support-reply-send"));
    expect(text(await screen.findByTestId("support-reply-error"))).toBe("The message is too long (at most 10,000 characters).");
    expect((screen.getByTestId("support-reply") as HTMLTextAreaElement).value).toBe("My long story");
    expect(localStorage.getItem("xwms.support.reply.conv_mail")).toBe("My long story");
  });

  it("saves an attachment to Downloads and shows where", async () => {
    const withFile = detail({}, [
      message(20, { author: { kind: "agent", name: "Sam" }, body: "The form", attachments: [{ id: "att_1", file_name: "form.pdf", content_type: "application/pdf", size_bytes: 2048 }] }),
    ]);
    const calls = await open(withFile, { support_save_attachment: (a) => `/home/anna/Downloads/${String(a.fileName)}` });
    await fireEvent.click(screen.getByTestId("support-attachment-save"));
    expect(text(await screen.findByTestId("support-attachment-saved"))).toBe("Saved to /home/anna/Downloads/form.pdf.");
    expect(calls.find((c) => c.cmd === "support_save_attachment")?.args).toEqual({ id: "conv_mail", attachmentId: "att_1", fileName: "form.pdf" });
  });

  it("refuses other file types and files over 5 MB with a clear error", async () => {
    await open();
    const picker = screen.getByTestId("support-reply-picker") as HTMLInputElement;
    const txt = new File(["hello"], "notes.txt", { type: "text/plain" });
    await fireEvent.change(picker, { target: { files: [txt] } });
    expect(text(screen.getByTestId("support-reply-error"))).toBe("Only PNG and JPEG images and PDF files can be attached.");
    const big = new File([new Uint8Array(5 * 1024 * 1024 + 1)], "scan.pdf", { type: "application/pdf" });
    await fireEvent.change(picker, { target: { files: [big] } });
    expect(text(screen.getByTestId("support-reply-error"))).toBe("The file is too large (at most 5 MB).");
    const png = new File([new Uint8Array([137, 80, 78, 71])], "screen.png", { type: "image/png" });
    await fireEvent.change(picker, { target: { files: [png] } });
    expect(text(screen.getByTestId("support-reply-files"))).toContain("screen.png");
    expect(screen.queryByTestId("support-reply-error")).toBeNull();
  });

  it("resolved: rate it 1-5 and, within 7 days, a reply reopens it", async () => {
    const until = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const d = detail({ status: "resolved", reopen_until: until });
    const calls = await open(d, { support_rate: (a) => ({ ...d.conversation, rating: a.rating }) });
    expect(text(screen.getByTestId("support-reopen-hint"))).toMatch(/^A reply before .+ reopens this conversation\.$/);
    expect(screen.getByTestId("support-reply")).toBeTruthy();
    expect(screen.queryByTestId("support-close")).toBeNull();
    await fireEvent.click(screen.getByTestId("support-rate-4"));
    await fireEvent.click(screen.getByTestId("support-rate-send"));
    expect(text(await screen.findByTestId("support-rated"))).toBe("You rated this conversation 4 out of 5. Thank you.");
    expect(calls.find((c) => c.cmd === "support_rate")?.args).toEqual({ id: "conv_mail", rating: 4, comment: "" });
  });

  it("closed more than 7 days ago: no reply box, a new conversation instead", async () => {
    await open(detail({ status: "closed", reopen_until: "2026-01-01T00:00:00Z", rating: 5 }));
    expect(screen.getByTestId("support-closed-for-good")).toBeTruthy();
    expect(screen.queryByTestId("support-reply")).toBeNull();
  });
});

describe("guest case", () => {
  it("opens a recovery case with its reference and the mailed code, then replies", async () => {
    const v = detail({ id: "conv_rec", reference: "REC-7K2M9Q", topic: "account_recovery", guest: true });
    const guest = { conversation: v.conversation!, messages: v.messages.map(({ state: _s, error: _e, ...m }) => ({ ...m, conversation_id: "conv_rec", id: m.id!, seq: m.seq! })) };
    const calls = mockBackend({
      support_guest_code: () => null,
      support_guest_open: () => ({ reference: "REC-7K2M9Q", expires_at: "2026-11-25T09:00:00Z", conversation: guest }),
      support_guest_conversation: () => guest,
      support_guest_send: (a) => message(30, { body: String(a.body) }),
    });
    account.setProfile(null);
    await goTo("#/support/guest?reference=REC-7K2M9Q");
    render(SupportGuestScreen);
    expect((screen.getByTestId("support-guest-reference") as HTMLInputElement).value).toBe("REC-7K2M9Q");
    await fireEvent.click(screen.getByTestId("support-guest-send-code"));
    await screen.findByTestId("support-guest-code-sent");
    expect(calls.find((c) => c.cmd === "support_guest_code")?.args).toEqual({ reference: "REC-7K2M9Q" });
    await fireEvent.input(screen.getByTestId("support-guest-code"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByTestId("support-guest-open"));
    expect(text(await screen.findByTestId("support-guest-title"))).toBe("The verification mail never arrives");
    expect(calls.find((c) => c.cmd === "support_guest_open")?.args).toEqual({ reference: "REC-7K2M9Q", code: "123456" });
    await fireEvent.input(screen.getByTestId("support-guest-reply"), { target: { value: "Here is my ID" } });
    await fireEvent.click(screen.getByTestId("support-guest-reply-send"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "support_guest_send")?.args).toMatchObject({ body: "Here is my ID" }));
    expect(String(calls.find((c) => c.cmd === "support_guest_send")?.args.clientMsgId)).toMatch(/^[0-9a-f-]{36}$/);
    // Shown at once, without reading the case again: the live channel brings what changes.
    expect(text(await screen.findByText("Here is my ID"))).toBe("Here is my ID");
    expect(calls.some((c) => c.cmd === "support_guest_conversation")).toBe(false);
    expect(screen.queryByTestId("support-guest-refresh")).toBeNull();
  });

  /** A guest case opened on screen: (calls, the case as the server answered it). */
  async function openGuest(handlers: Record<string, (a: Record<string, unknown>) => unknown> = {}) {
    const v = detail({ id: "conv_rec", reference: "REC-7K2M9Q", topic: "account_recovery", guest: true, last_seq: 13, last_read_seq: 13 });
    const guest = { conversation: v.conversation!, messages: v.messages.map(({ state: _s, error: _e, ...m }) => ({ ...m, conversation_id: "conv_rec", id: m.id!, seq: m.seq! })) };
    const calls = mockBackend({
      support_guest_code: () => null,
      support_guest_open: () => ({ reference: "REC-7K2M9Q", expires_at: "2026-11-25T09:00:00Z", conversation: guest }),
      support_guest_conversation: () => guest,
      support_guest_mark_read: () => null,
      support_guest_typing: () => true,
      ...handlers,
    });
    account.setProfile(null);
    await goTo("#/support/guest?reference=REC-7K2M9Q");
    render(SupportGuestScreen);
    await fireEvent.click(screen.getByTestId("support-guest-send-code"));
    await fireEvent.input(await screen.findByTestId("support-guest-code"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByTestId("support-guest-open"));
    await screen.findByTestId("support-guest-title");
    return { calls, guest };
  }

  it("shows the agent's reply, typing and Seen live, marks the case read, and never reloads for them", async () => {
    const { calls, guest } = await openGuest();
    await emit("support-changed", { type: "guest_connection", connected: true });
    await emit("support-changed", { type: "typing", conversation_id: "conv_rec", author: { kind: "agent", name: "Sam" } });
    expect(text(await screen.findByTestId("support-typing"))).toBe("Sam is typing…");
    // Another conversation's typing and changes are not this case's.
    await emit("support-changed", {
      type: "changed",
      event: { seq: 39, conversation_id: "conv_other", kind: "message", message: { ...guest.messages[2], id: "msg_other", seq: 39, body: "Not for you", conversation_id: "conv_other" }, conversation: { ...guest.conversation, id: "conv_other", last_seq: 39 } },
    });
    const reply = { ...guest.messages[2], id: "msg_40", seq: 40, client_msg_id: "client-40", body: "We found your account." };
    await emit("support-changed", {
      type: "changed",
      event: { seq: 40, conversation_id: "conv_rec", kind: "message", message: reply, conversation: { ...guest.conversation, last_seq: 40, unread: 1 } },
    });
    expect(text(await screen.findByText("We found your account."))).toBe("We found your account.");
    expect(screen.queryByText("Not for you")).toBeNull();
    await waitFor(() => expect(screen.queryByTestId("support-typing")).toBeNull());
    // On screen: read up to the newest seq.
    await waitFor(() => expect(calls.find((c) => c.cmd === "support_guest_mark_read")?.args).toEqual({ seq: 40 }));
    // The agent read the guest's message: "Seen" under it.
    expect(screen.queryByTestId("support-seen")).toBeNull();
    await emit("support-changed", {
      type: "changed",
      event: { seq: 41, conversation_id: "conv_rec", kind: "read", message: null, conversation: { ...guest.conversation, last_seq: 41, last_read_seq: 40, other_last_read_seq: 40 } },
    });
    expect((await screen.findByTestId("support-seen")).closest("li")?.getAttribute("data-seq")).toBe("13");
    // Typing in the reply box tells the agent (at most every 3 s).
    await fireEvent.input(screen.getByTestId("support-guest-reply"), { target: { value: "T" } });
    await fireEvent.input(screen.getByTestId("support-guest-reply"), { target: { value: "Th" } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "support_guest_typing")).toHaveLength(1));
    expect(calls.some((c) => c.cmd === "support_guest_conversation")).toBe(false);
  });

  it("offers Try again only while the live channel is down, and asks for a new code when the access ends", async () => {
    const { calls } = await openGuest();
    expect(screen.queryByTestId("support-guest-try-again")).toBeNull();
    await emit("support-changed", { type: "guest_connection", connected: false });
    await screen.findByTestId("support-guest-live-paused");
    await fireEvent.click(screen.getByTestId("support-guest-try-again"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "support_guest_conversation")).toHaveLength(1));
    await emit("support-changed", { type: "guest_connection", connected: true });
    await waitFor(() => expect(screen.queryByTestId("support-guest-live-paused")).toBeNull());
    await emit("support-changed", { type: "guest_ended", error: { code: "support.guest_expired", message: "" } });
    expect(await screen.findByTestId("support-guest-error")).toBeTruthy();
    expect(screen.getByTestId("support-guest-code-form")).toBeTruthy();
  });

  it("says so when the code is wrong", async () => {
    mockBackend({ support_guest_code: () => null, support_guest_open: refusal("code.invalid") });
    account.setProfile(null);
    await goTo("#/support/guest");
    render(SupportGuestScreen);
    await fireEvent.input(screen.getByTestId("support-guest-reference"), { target: { value: "rec-7k2m9q" } });
    await fireEvent.click(screen.getByTestId("support-guest-send-code"));
    await fireEvent.input(await screen.findByTestId("support-guest-code"), { target: { value: "000000" } });
    await fireEvent.click(screen.getByTestId("support-guest-open"));
    expect(await screen.findByTestId("support-guest-error")).toBeTruthy();
  });
});

describe("languages", () => {
  it("renders every support screen in Dutch and French without missing texts", async () => {
    for (const lang of ["nl", "fr"] as const) {
      setLanguage(lang);
      mockBackend({ support_list: () => listResult(), support_open: () => detail({ status: "resolved", reopen_until: "2099-01-01T00:00:00Z" }) });
      const home = render(SupportScreen);
      await waitFor(() => expect(screen.queryAllByTestId("support-row")).toHaveLength(3));
      const html = document.body.textContent ?? "";
      expect(html).not.toMatch(/support\.[a-z]/i);
      home.unmount();
      await goTo("#/support/conversation/conv_mail");
      const conv = render(SupportConversationScreen);
      await screen.findByTestId("support-thread");
      expect(document.body.textContent ?? "").not.toMatch(/support\.[a-z]/i);
      conv.unmount();
      const neu = render(SupportNewScreen);
      expect(document.body.textContent ?? "").not.toMatch(/support\.[a-z]/i);
      neu.unmount();
    }
    setLanguage("en");
  });
});

describe("rules", () => {
  it("Contact support in a help answer starts on the answer's topic", () => {
    const topics = Object.fromEntries(
      [
        "recover-account",
        "account-compromised",
        "delete-account",
        "change-username",
        "emails-not-arriving",
        "recovery-request-support",
        "appeal-suspension",
        "report-security-issue",
      ].map((id) => [id, topicForHelp(id)]),
    );
    expect(topics).toEqual({
      "recover-account": "account_recovery",
      "account-compromised": "security_report",
      "delete-account": "account_deletion",
      "change-username": "question",
      "emails-not-arriving": "mail_not_arriving",
      "recovery-request-support": "account_recovery",
      "appeal-suspension": "suspension_appeal",
      "report-security-issue": "security_report",
    });
  });

  it("splits web links out of plain text and leaves everything else as text", () => {
    expect(splitLinks("See https://a.example/x. Or javascript:alert(1) <a href=y>")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", url: "https://a.example/x" },
      { kind: "text", text: ". Or javascript:alert(1) <a href=y>" },
    ]);
  });

  it("a notification click or an xwms:// link opens its screen, once, also when it came before the window listened", async () => {
    const waiting: AppLink[] = [{ type: "help_article", article_id: "forgot-password" }];
    const calls = mockBackend({ take_app_link: () => waiting.shift() ?? null });
    window.location.hash = "#/help";
    // A cold start: the link was waiting before the UI listened.
    stop = await startAppLinks();
    expect(window.location.hash).toBe("#/help/article/forgot-password");
    waiting.push({ type: "support_conversation", conversation_id: "conv_mail" });
    await emit("app-link-opened", null);
    await waitFor(() => expect(window.location.hash).toBe("#/support/conversation/conv_mail"));
    // Taken once: a second event with nothing waiting moves nothing.
    window.location.hash = "#/help";
    await emit("app-link-opened", null);
    await waitFor(() => expect(calls.filter((c) => c.cmd === "take_app_link")).toHaveLength(3));
    expect(window.location.hash).toBe("#/help");
  });
});
