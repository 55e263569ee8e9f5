//! The support side against the real server on loopback, with real SQLite files.

use super::*;

#[test]
fn client_ids_are_uuid_v4_and_unique() {
    let a = new_client_id();
    let b = new_client_id();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
}

#[test]
fn local_checks_use_the_server_limits() {
    assert_eq!(
        check_message("", 0).unwrap_err().code,
        ErrorCode::MessageEmpty
    );
    assert!(check_message("", 1).is_ok());
    let long = "x".repeat(MESSAGE_MAX_CHARS + 1);
    assert_eq!(
        check_message(&long, 0).unwrap_err().code,
        ErrorCode::MessageTooLong
    );
    assert!(check_message(&"é".repeat(MESSAGE_MAX_CHARS), 0).is_ok());
    assert_eq!(
        check_attachment(b"\x89PNG\r\n\x1a\nrest").unwrap(),
        "image/png"
    );
    assert_eq!(
        check_attachment(&[0xff, 0xd8, 0xff, 0xe0]).unwrap(),
        "image/jpeg"
    );
    assert_eq!(check_attachment(b"%PDF-1.7").unwrap(), "application/pdf");
    assert_eq!(
        check_attachment(b"GIF89a").unwrap_err().code,
        ErrorCode::AttachmentType
    );
    let big = vec![0u8; ATTACHMENT_MAX_BYTES + 1];
    assert_eq!(
        check_attachment(&big).unwrap_err().code,
        ErrorCode::AttachmentTooLarge
    );
}

#[test]
fn a_saved_attachment_gets_a_safe_name_and_the_extension_of_its_content() {
    assert_eq!(safe_file_stem("bank statement.pdf"), "bank statement");
    assert_eq!(safe_file_stem("../../etc/passwd"), "passwd");
    assert_eq!(safe_file_stem("C:\\Users\\x\\evil.exe"), "evil");
    assert_eq!(safe_file_stem(".bashrc"), "bashrc");
    assert_eq!(safe_file_stem("a<b>:c?.png"), "a_b__c_");
    assert_eq!(safe_file_stem(""), "attachment");
    assert_eq!(safe_file_stem("..."), "attachment");
    assert_eq!(safe_file_stem(&"x".repeat(300)).chars().count(), 100);
    assert_eq!(extension_for("image/png"), "png");
    assert_eq!(extension_for("image/jpeg"), "jpg");
    assert_eq!(extension_for("application/pdf"), "pdf");
}

#[test]
fn transient_errors_leave_messages_queued_and_refusals_fail_them() {
    assert!(is_transient(&ErrorCode::Offline));
    assert!(is_transient(&ErrorCode::MessageRateLimited));
    assert!(!is_transient(&ErrorCode::MessageTooLong));
    assert!(!is_transient(&ErrorCode::ConversationClosed));
}

/// Against the real server in-process on loopback, with real SQLite files.
mod live {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    use xwms_testkit::{TestServer, TestServerOptions, AGENT, ANNA};

    use super::*;
    use crate::account::AppIdentity;
    use crate::token_store::MemoryStore;

    /// A server on its own data folder, which [`Live::restart`] starts again on the same
    /// address and data.
    struct Live {
        server: Option<TestServer>,
        addr: SocketAddr,
        data: PathBuf,
        _dir: tempfile::TempDir,
    }

    impl Live {
        async fn start() -> Live {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("server");
            let opts = TestServerOptions {
                data_dir: Some(data.clone()),
                ..TestServerOptions::default()
            };
            let server = tokio::task::spawn_blocking(move || TestServer::start_with(opts))
                .await
                .unwrap();
            Live {
                addr: server.addr(),
                server: Some(server),
                data,
                _dir: dir,
            }
        }

        fn url(&self) -> String {
            format!("http://{}/", self.addr)
        }

        async fn stop(&mut self) {
            if let Some(server) = self.server.take() {
                tokio::task::spawn_blocking(move || server.stop())
                    .await
                    .unwrap();
            }
        }

        async fn restart(&mut self) {
            self.stop().await;
            let opts = TestServerOptions {
                data_dir: Some(self.data.clone()),
                listen: self.addr,
                ..TestServerOptions::default()
            };
            self.server = Some(
                tokio::task::spawn_blocking(move || TestServer::start_with(opts))
                    .await
                    .unwrap(),
            );
        }
    }

    async fn signed_in(url: &str, dir: &Path, email: &str, password: &str) -> Arc<AccountSession> {
        let session = AccountSession::new(
            url,
            dir,
            AppIdentity {
                app: "xwms-core-test".into(),
                keychain_service: "nl.xwms.test".into(),
            },
            Arc::new(MemoryStore::default()),
        )
        .unwrap();
        session.sign_in(email, Secret::new(password)).await.unwrap();
        Arc::new(session)
    }

    /// The conversation as the server holds it (fetched by the agent: the server's truth).
    async fn on_server(agent: &AccountSession, id: &str) -> ConversationDetail {
        agent
            .authed_send(
                Method::GET,
                &path_with_id(paths::CONVERSATION, id).unwrap(),
                None,
            )
            .await
            .unwrap()
    }

    fn bodies(detail: &ConversationDetail) -> Vec<String> {
        detail
            .messages
            .iter()
            .filter(|m| m.kind == MessageKind::Text)
            .map(|m| m.body.clone())
            .collect()
    }

    async fn agent_says(agent: &AccountSession, id: &str, body: &str) -> SupportMessage {
        let draft = MessageDraft {
            client_msg_id: new_client_id(),
            body: body.into(),
            attachment_ids: Vec::new(),
        };
        agent
            .authed_send(
                Method::POST,
                &path_with_id(paths::MESSAGES, id).unwrap(),
                Some(to_json(&draft).unwrap()),
            )
            .await
            .unwrap()
    }

    /// A conversation started through the outbox while online; its server id.
    async fn started(support: &Support, subject: &str) -> String {
        let view = support
            .start_conversation(SupportTopic::Question, subject, "first", Vec::new())
            .unwrap();
        assert_eq!(view.messages[0].state, MessageState::Sending);
        assert_eq!(support.flush().await.unwrap(), 1);
        support.created_as(&view.id).unwrap().expect("created")
    }

    #[tokio::test]
    async fn offline_messages_stay_queued_and_go_once_in_order_when_the_server_is_back() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();
        let id = started(&support, "Offline").await;
        support.open_conversation(&id).await.unwrap(); // cached for offline reading

        live.stop().await;
        for i in 1..=3 {
            let shown = support
                .send(&id, &format!("offline {i}"), Vec::new())
                .unwrap();
            assert_eq!(shown.state, MessageState::Sending);
        }
        // Offline is not failure: every pass stops at the first message and keeps them all.
        for _ in 0..3 {
            let err = support.flush().await.unwrap_err();
            assert!(is_transient(&err.code), "{:?}", err.code);
        }
        assert_eq!(support.queued_count().unwrap(), 3);
        let view = support.open_conversation(&id).await.unwrap();
        assert!(view.cached_at.is_some(), "the offline copy, with its age");
        let states: Vec<_> = view
            .messages
            .iter()
            .map(|m| (m.body.as_str(), m.state))
            .collect();
        assert_eq!(
            states,
            [
                ("first", MessageState::Sent),
                ("offline 1", MessageState::Sending),
                ("offline 2", MessageState::Sending),
                ("offline 3", MessageState::Sending)
            ]
        );

        live.restart().await;
        assert_eq!(support.flush().await.unwrap(), 3);
        assert_eq!(support.queued_count().unwrap(), 0);
        assert_eq!(
            bodies(&on_server(&agent, &id).await),
            ["first", "offline 1", "offline 2", "offline 3"]
        );
        let view = support.open_conversation(&id).await.unwrap();
        assert!(view.cached_at.is_none());
        assert!(view.messages.iter().all(|m| m.state == MessageState::Sent));
        assert_eq!(view.messages.len(), 4);

        // Signed out, the copy on this computer is not shown.
        anna.sign_out().await.unwrap();
        let err = support.list().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized);
        live.stop().await;
        assert!(support.open_conversation(&id).await.is_err());
    }

    #[tokio::test]
    async fn a_conversation_started_offline_is_created_once_with_the_messages_that_waited() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();

        live.stop().await;
        let view = support
            .start_conversation(SupportTopic::MailNotArriving, "No mail", "one", Vec::new())
            .unwrap();
        support.send(&view.id, "two", Vec::new()).unwrap();
        assert!(support.flush().await.is_err());
        let home = support.list().await.unwrap();
        assert_eq!(home.queued.len(), 1);
        assert_eq!(home.queued[0].subject, "No mail");
        let queued = support.open_conversation(&view.id).await.unwrap();
        assert_eq!(queued.messages.len(), 2);

        live.restart().await;
        assert_eq!(support.flush().await.unwrap(), 2);
        let id = support.created_as(&view.id).unwrap().unwrap();
        assert_eq!(bodies(&on_server(&agent, &id).await), ["one", "two"]);
        // The local id keeps working for the screen that holds it.
        assert_eq!(support.open_conversation(&view.id).await.unwrap().id, id);
        // The same client id again (a crash after the ack): the stored conversation, no second.
        let again: ConversationDetail = anna
            .authed_send(
                Method::POST,
                paths::CONVERSATIONS,
                Some(
                    to_json(&NewConversation {
                        topic: SupportTopic::MailNotArriving,
                        subject: "No mail".into(),
                        message: MessageDraft {
                            client_msg_id: view.id.clone(),
                            body: "one".into(),
                            attachment_ids: Vec::new(),
                        },
                    })
                    .unwrap(),
                ),
            )
            .await
            .unwrap();
        assert_eq!(again.conversation.id, id);
        let mine = support.list().await.unwrap();
        assert_eq!(
            mine.conversations
                .iter()
                .filter(|c| c.subject == "No mail")
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn a_message_refused_as_too_long_fails_with_its_code_and_keeps_its_text() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();
        let id = started(&support, "Long").await;
        // Written by an older app without the local check: the server refuses it.
        let long = "x".repeat(MESSAGE_MAX_CHARS + 1);
        let item = OutboxItem {
            ord: 0,
            client_msg_id: new_client_id(),
            conversation_id: Some(id.clone()),
            pending_conversation: None,
            new_conversation: None,
            body: long.clone(),
            attachments: Vec::new(),
            created_at: now_rfc3339(),
            failed: None,
        };
        support.store().queue(&support.server(), &item).unwrap();
        support.send(&id, "after it", Vec::new()).unwrap();
        let mut updates = support.subscribe();
        assert_eq!(
            support.flush().await.unwrap(),
            1,
            "the next message still goes"
        );

        let kept = support.outbox_item(&item.client_msg_id).unwrap().unwrap();
        assert_eq!(kept.body, long);
        assert_eq!(kept.failed.unwrap().code, ErrorCode::MessageTooLong);
        let view = support.open_conversation(&id).await.unwrap();
        let last = view.messages.last().unwrap();
        assert_eq!(last.state, MessageState::Failed);
        assert_eq!(last.error.as_ref().unwrap().code, ErrorCode::MessageTooLong);
        assert_eq!(last.body, long);
        let failed = std::iter::from_fn(|| updates.try_recv().ok()).any(|u| {
            matches!(u, SupportUpdate::Outbox { state: MessageState::Failed, ref client_msg_id, .. } if *client_msg_id == item.client_msg_id)
        });
        assert!(failed, "the screen is told");
        // A retry sends it again (and it fails again: the text is what it is).
        support.retry(&item.client_msg_id).unwrap();
        support.flush().await.unwrap();
        assert!(support
            .outbox_item(&item.client_msg_id)
            .unwrap()
            .unwrap()
            .failed
            .is_some());
        support.discard(&item.client_msg_id).unwrap();
        assert_eq!(support.outbox_item(&item.client_msg_id).unwrap(), None);
    }

    /// The next `Changed` update with a text message, within 10 s ("agent joined" and the
    /// like are skipped).
    async fn next_message(
        updates: &mut broadcast::Receiver<SupportUpdate>,
    ) -> Option<SupportMessage> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, updates.recv()).await {
                Err(_) => return None,
                Ok(Ok(SupportUpdate::Changed { event })) => {
                    if let Some(m) = event.message.filter(|m| m.kind == MessageKind::Text) {
                        return Some(m);
                    }
                }
                Ok(Ok(SupportUpdate::Reload)) => panic!("a reload instead of a catch-up"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{e}"),
            }
        }
    }

    #[tokio::test]
    async fn after_a_server_restart_the_client_catches_up_from_its_seq_without_duplicates() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Arc::new(Support::open(dir.path(), Arc::clone(&anna)).unwrap());
        let id = started(&support, "Catch up").await;
        support.list().await.unwrap(); // the seq to resume from

        let mut updates = support.subscribe();
        let realtime = tokio::spawn(Arc::clone(&anna).run_realtime_with(Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(200),
        }));
        let events = tokio::spawn(Arc::clone(&support).run_events());
        let mut open = anna.subscribe_realtime();
        tokio::time::timeout(Duration::from_secs(10), open.wait_for(|c| *c))
            .await
            .unwrap()
            .unwrap();
        agent_says(&agent, &id, "live one").await;
        assert_eq!(next_message(&mut updates).await.unwrap().body, "live one");

        // The server restarts; the app is gone meanwhile (its tasks stop, as at exit).
        realtime.abort();
        events.abort();
        let _ = realtime.await;
        live.restart().await;
        agent_says(&agent, &id, "missed one").await;
        agent_says(&agent, &id, "missed two").await;

        // The app starts again on the same data folder: the seq comes from the support file.
        let anna2 = {
            let session = AccountSession::new(
                &live.url(),
                dir.path(),
                AppIdentity {
                    app: "xwms-core-test".into(),
                    keychain_service: "nl.xwms.test".into(),
                },
                Arc::new(MemoryStore::default()),
            )
            .unwrap();
            session
                .sign_in(ANNA.email, Secret::new(ANNA.password))
                .await
                .unwrap();
            Arc::new(session)
        };
        let support2 = Arc::new(Support::open(dir.path(), Arc::clone(&anna2)).unwrap());
        assert!(anna2.support_after().is_some(), "resumes from the kept seq");
        let mut updates = support2.subscribe();
        let _realtime = tokio::spawn(Arc::clone(&anna2).run_realtime());
        let _events = tokio::spawn(Arc::clone(&support2).run_events());
        let first = next_message(&mut updates)
            .await
            .expect("the missed messages are replayed");
        let second = next_message(&mut updates).await.expect("both of them");
        assert_eq!(
            (first.body.as_str(), second.body.as_str()),
            ("missed one", "missed two")
        );
        agent_says(&agent, &id, "live two").await;
        assert_eq!(
            next_message(&mut updates).await.unwrap().body,
            "live two",
            "nothing replayed twice, nothing before the seq"
        );
        assert_eq!(
            bodies(&on_server(&agent, &id).await),
            ["first", "live one", "missed one", "missed two", "live two"]
        );
    }

    #[tokio::test]
    async fn read_typing_close_rate_availability_and_deflection_reach_the_server() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();
        let id = started(&support, "Calls").await;
        let reply = agent_says(&agent, &id, "hello Anna").await;

        let before = support.open_conversation(&id).await.unwrap();
        assert_eq!(before.conversation.as_ref().unwrap().unread, 1);
        support.mark_read(&id, reply.seq).await.unwrap();
        let after = support.open_conversation(&id).await.unwrap();
        let summary = after.conversation.unwrap();
        assert_eq!((summary.unread, summary.last_read_seq), (0, reply.seq));

        // Typing goes at most once every TYPING_EVERY_SECONDS per conversation.
        let start = Instant::now();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let clock = Arc::clone(&offset);
        let support = Support::open(dir.path(), Arc::clone(&anna))
            .unwrap()
            .with_clock(move || start + *clock.lock().unwrap());
        let every = Duration::from_secs(u64::from(TYPING_EVERY_SECONDS));

        // A reply is notified unless the focused window shows that very conversation.
        support.set_viewing(Some(id.clone()));
        assert!(!support.notify_reply(&id, true));
        assert!(support.notify_reply(&id, false), "window not focused");
        assert!(
            support.notify_reply("another", true),
            "another conversation on screen"
        );
        support.set_viewing(None);
        assert!(support.notify_reply(&id, true), "another screen");

        assert!(support.typing(&id).await.unwrap());
        assert!(!support.typing(&id).await.unwrap());
        *offset.lock().unwrap() = every - Duration::from_millis(1);
        assert!(!support.typing(&id).await.unwrap());
        // Three (clock) seconds on it goes out again: the core's throttle would answer
        // Ok(false); the server answers Ok(true), or refuses it with its own throttle (on real
        // time) when this test ran faster than that. Either proves the request left.
        *offset.lock().unwrap() = every;
        match support.typing(&id).await {
            Ok(sent) => assert!(sent, "the core throttled a typing signal after 3 s"),
            Err(e) => assert_eq!(e.code, ErrorCode::MessageRateLimited),
        }

        assert!(
            support.availability().await.unwrap().answer_within_days > 0,
            "the availability answers"
        );
        support
            .deflect("reset-password", Some(SupportTopic::Question))
            .await
            .unwrap();

        let err = support.rate(&id, 5, "").await.unwrap_err();
        assert_eq!(err.code, ErrorCode::RatingNotAllowed);
        let closed = support.close(&id).await.unwrap();
        assert_eq!(closed.status, xwms_api::support::ConversationStatus::Closed);
        let rated = support.rate(&id, 4, "Quick answer").await.unwrap();
        assert_eq!(rated.rating, Some(4));
    }

    /// The client's own background sender (started by `Client::start`) delivers what was
    /// queued offline once the connection monitor sees the server again, without any call.
    #[tokio::test]
    async fn the_started_client_sends_the_outbox_when_the_server_comes_back() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let client = crate::client::Client::open_with_store(
            dir.path(),
            "test",
            Some(&live.url()),
            Arc::new(MemoryStore::default()),
        )
        .unwrap();
        let mut events = client.start();
        client
            .account()
            .sign_in(ANNA.email, Secret::new(ANNA.password))
            .await
            .unwrap();
        let support = client.support();

        live.stop().await;
        let view = support
            .start_conversation(SupportTopic::Question, "Background", "queued 1", Vec::new())
            .unwrap();
        support.send(&view.id, "queued 2", Vec::new()).unwrap();
        live.restart().await;
        client.connection().recheck();

        let mut sent = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while sent.len() < 2 {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => panic!("only {sent:?} sent"),
                Ok(Ok(crate::client::ClientEvent::Support(SupportUpdate::Outbox {
                    state,
                    local_id,
                    conversation_id,
                    ..
                }))) => {
                    assert_eq!(state, MessageState::Sent);
                    assert_eq!(local_id, view.id);
                    sent.push(conversation_id.unwrap());
                }
                Ok(_) => {}
            }
        }
        assert_eq!(sent[0], sent[1]);
        assert_eq!(
            bodies(&on_server(&agent, &sent[0]).await),
            ["queued 1", "queued 2"]
        );
        assert_eq!(support.queued_count().unwrap(), 0);
        client.stop();
    }

    /// Typing from the other side arrives over the socket as `SupportUpdate::Typing`; a
    /// `support_reload` fetches the list, resumes from its seq and tells the screens.
    #[tokio::test]
    async fn typing_arrives_live_and_a_reload_resumes_from_the_lists_seq() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Arc::new(Support::open(dir.path(), Arc::clone(&anna)).unwrap());
        let id = started(&support, "Typing").await;
        let mut updates = support.subscribe();
        let _realtime = tokio::spawn(Arc::clone(&anna).run_realtime());
        let _events = tokio::spawn(Arc::clone(&support).run_events());
        let mut open = anna.subscribe_realtime();
        tokio::time::timeout(Duration::from_secs(10), open.wait_for(|c| *c))
            .await
            .unwrap()
            .unwrap();

        let path = path_with_id(paths::TYPING, &id).unwrap();
        agent
            .authed_send::<NoData>(Method::POST, &path, Some(b"{}".to_vec()))
            .await
            .unwrap();
        let typing = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(SupportUpdate::Typing {
                    conversation_id,
                    author,
                }) = updates.recv().await
                {
                    return (conversation_id, author);
                }
            }
        })
        .await
        .expect("typing arrives");
        assert_eq!(typing.0, id);
        assert_eq!(typing.1.kind, AuthorKind::Agent);

        agent_says(&agent, &id, "one").await;
        support.apply(RealtimeEvent::SupportReload).await.unwrap();
        let list: ConversationList = anna
            .authed_send(Method::GET, paths::CONVERSATIONS, None)
            .await
            .unwrap();
        assert_eq!(
            support.store().last_seq(&support.server()).unwrap(),
            Some(list.last_seq)
        );
        assert_eq!(anna.support_after(), Some(list.last_seq));
        let reloaded =
            std::iter::from_fn(|| updates.try_recv().ok()).any(|u| u == SupportUpdate::Reload);
        assert!(reloaded);
    }

    /// A picked file is checked here first (size, type by content), uploaded, and sent with a
    /// message through the outbox.
    #[tokio::test]
    async fn attachments_are_checked_here_uploaded_and_sent_with_a_message() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();
        let id = started(&support, "Files").await;
        let files = tempfile::tempdir().unwrap();

        let gif = files.path().join("picture.png");
        std::fs::write(&gif, b"GIF89a not a png").unwrap();
        let err = support.attach(&id, &gif).await.unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::AttachmentType,
            "judged by content, not name"
        );
        let big = files.path().join("big.pdf");
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(ATTACHMENT_MAX_BYTES + 1, b' ');
        std::fs::write(&big, &bytes).unwrap();
        let err = support.attach(&id, &big).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::AttachmentTooLarge);

        let pdf = files.path().join("bank statement.pdf");
        std::fs::write(&pdf, b"%PDF-1.7\n%%EOF\n").unwrap();
        let info = support.attach(&id, &pdf).await.unwrap();
        assert_eq!(info.content_type, "application/pdf");
        assert_eq!(info.file_name, "bank statement.pdf");
        support.send(&id, "", vec![info.clone()]).unwrap();
        assert_eq!(support.flush().await.unwrap(), 1);
        let held = on_server(&agent, &id).await;
        let last = held.messages.last().unwrap();
        assert_eq!(last.attachments, vec![info.clone()]);
        let (bytes, content_type) = support.download_attachment(&id, &info.id).await.unwrap();
        assert_eq!(bytes, b"%PDF-1.7\n%%EOF\n");
        assert_eq!(content_type, "application/pdf");
    }

    /// Files for a conversation not started yet are checked here, uploaded bound to nothing,
    /// and go with the queued start: the server binds them to the first message, once, also
    /// when the start is sent again after a lost answer.
    #[tokio::test]
    async fn a_new_conversation_carries_files_uploaded_before_it_exists() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Support::open(dir.path(), Arc::clone(&anna)).unwrap();
        let files = tempfile::tempdir().unwrap();

        let gif = files.path().join("error.png");
        std::fs::write(&gif, b"GIF89a not a png").unwrap();
        assert_eq!(
            support.attach_new(&gif).await.unwrap_err().code,
            ErrorCode::AttachmentType
        );
        let big = files.path().join("big.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.resize(ATTACHMENT_MAX_BYTES + 1, 0);
        std::fs::write(&big, &bytes).unwrap();
        assert_eq!(
            support.attach_new(&big).await.unwrap_err().code,
            ErrorCode::AttachmentTooLarge
        );
        let six = vec![
            AttachmentInfo {
                id: "x".into(),
                file_name: "x.png".into(),
                content_type: "image/png".into(),
                size_bytes: 1,
            };
            ATTACHMENTS_PER_MESSAGE + 1
        ];
        assert!(support
            .start_conversation(SupportTopic::Question, "Too many", "text", six)
            .is_err());

        let shot = files.path().join("error shot.png");
        std::fs::write(&shot, b"\x89PNG\r\n\x1a\nscreen").unwrap();
        let picked = support.attach_new(&shot).await.unwrap();
        assert_eq!(picked.file_name, "error shot.png");
        let pasted = support
            .attach_new_bytes("pasted.pdf", b"%PDF-1.7\n%%EOF\n".to_vec())
            .await
            .unwrap();
        let view = support
            .start_conversation(
                SupportTopic::Question,
                "The app shows an error",
                "Here is the screenshot of the error.",
                vec![picked.clone(), pasted.clone()],
            )
            .unwrap();
        assert_eq!(
            view.messages[0].attachments,
            vec![picked.clone(), pasted.clone()],
            "shown with the queued message"
        );
        let queued = support.outbox_item(&view.id).unwrap().unwrap();
        assert_eq!(support.flush().await.unwrap(), 1);
        let id = support.created_as(&view.id).unwrap().expect("created");
        let held = on_server(&agent, &id).await;
        let mut sent = held.messages[0].attachments.clone();
        sent.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        assert_eq!(sent, vec![picked.clone(), pasted.clone()]);
        let (bytes, content_type) = support.download_attachment(&id, &picked.id).await.unwrap();
        assert_eq!(bytes, b"\x89PNG\r\n\x1a\nscreen");
        assert_eq!(content_type, "image/png");

        // The answer was lost and the start goes again: the same conversation, bound once.
        let again = NewConversation {
            topic: SupportTopic::Question,
            subject: "The app shows an error".into(),
            message: draft(&queued),
        };
        let answer: ConversationDetail = anna
            .authed_send(
                Method::POST,
                paths::CONVERSATIONS,
                Some(to_json(&again).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(answer.conversation.id, id);
        assert_eq!(
            on_server(&agent, &id).await.messages.len(),
            held.messages.len()
        );
    }

    /// A recovery request filed without signing in is a guest case: the reference and the
    /// mailed code open it (read and reply) with no session; the token stays in the core.
    #[tokio::test]
    async fn a_guest_case_opens_with_the_reference_and_the_mailed_code() {
        let live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let nobody = Arc::new(
            AccountSession::new(
                &live.url(),
                dir.path(),
                AppIdentity {
                    app: "xwms-core-test".into(),
                    keychain_service: "nl.xwms.test".into(),
                },
                Arc::new(MemoryStore::default()),
            )
            .unwrap(),
        );
        let filed = nobody
            .file_recovery_request(&xwms_api::auth::RecoveryRequest {
                email: "lost@example.com".into(),
                name: "Lena Lost".into(),
                contact_email: "lena@example.org".into(),
                lost: vec!["password".into()],
                details: "My phone was stolen.".into(),
            })
            .await
            .unwrap();
        let support = Arc::new(Support::open(dir.path(), Arc::clone(&nobody)).unwrap());
        assert_eq!(
            support.guest_conversation().await.unwrap_err().code,
            ErrorCode::GuestAccessExpired,
            "nothing open yet"
        );
        support.guest_code(&filed.reference).await.unwrap();
        let server = live.server.as_ref().unwrap();
        let code = server
            .mailbox()
            .wait_for_async(
                "lena@example.org",
                xwms_testkit::MailKind::SupportGuestCode,
                0,
                Duration::from_secs(10),
            )
            .await
            .and_then(|m| xwms_testkit::find_code(&m.text))
            .expect("a code mailed to the contact address");

        let wrong = support
            .guest_open(&filed.reference, Secret::new("000000"))
            .await;
        assert!(wrong.is_err());
        let case = support
            .guest_open(&format!(" {} ", filed.reference), Secret::new(code))
            .await
            .unwrap();
        assert_eq!(case.reference, filed.reference);
        assert!(case.conversation.conversation.guest);
        assert_eq!(bodies(&case.conversation), ["My phone was stolen."]);
        let reply = support.guest_send("It was an iPhone.", None).await.unwrap();
        let again = support
            .guest_send("It was an iPhone.", Some(reply.client_msg_id.clone()))
            .await
            .unwrap();
        assert_eq!(
            again.id, reply.id,
            "a retry with the same client id is the same message"
        );
        let fresh = support.guest_conversation().await.unwrap();
        assert_eq!(
            bodies(&fresh),
            ["My phone was stolen.", "It was an iPhone."]
        );
    }

    /// The updates up to and including the first that `until` accepts (within 20 s).
    async fn updates_until(
        updates: &mut broadcast::Receiver<SupportUpdate>,
        until: impl Fn(&SupportUpdate) -> bool,
    ) -> Vec<SupportUpdate> {
        let mut seen = vec![];
        loop {
            let update = tokio::time::timeout(Duration::from_secs(20), updates.recv())
                .await
                .unwrap_or_else(|_| panic!("no such update within 20 s; saw {seen:?}"))
                .expect("the updates channel");
            let done = until(&update);
            seen.push(update);
            if done {
                return seen;
            }
        }
    }

    /// An open guest case holds its live channel: the agent's typing and reply arrive as
    /// the same updates a signed-in person gets, the guest's read marker makes "Seen" for the
    /// agent, and after the server restarts the channel reconnects and resumes after the
    /// last seq (the next reply arrives, nothing arrives twice), with no polling.
    #[tokio::test]
    async fn a_guest_case_hears_the_agents_reply_typing_and_seen_live() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let nobody = Arc::new(
            AccountSession::new(
                &live.url(),
                dir.path(),
                AppIdentity {
                    app: "xwms-core-test".into(),
                    keychain_service: "nl.xwms.test".into(),
                },
                Arc::new(MemoryStore::default()),
            )
            .unwrap(),
        );
        let filed = nobody
            .file_recovery_request(&xwms_api::auth::RecoveryRequest {
                email: "lost@example.com".into(),
                name: "Lena Lost".into(),
                contact_email: "lena@example.org".into(),
                lost: vec!["password".into()],
                details: "My phone was stolen.".into(),
            })
            .await
            .unwrap();
        let support = Arc::new(
            Support::open(dir.path(), Arc::clone(&nobody))
                .unwrap()
                .with_guest_backoff(Backoff {
                    first: Duration::from_millis(50),
                    max: Duration::from_millis(200),
                }),
        );
        let mut updates = support.subscribe();
        support.guest_code(&filed.reference).await.unwrap();
        let code = live
            .server
            .as_ref()
            .unwrap()
            .mailbox()
            .wait_for_async(
                "lena@example.org",
                xwms_testkit::MailKind::SupportGuestCode,
                0,
                Duration::from_secs(10),
            )
            .await
            .and_then(|m| xwms_testkit::find_code(&m.text))
            .expect("a code");
        let case = support
            .guest_open(&filed.reference, Secret::new(code))
            .await
            .unwrap();
        let case_id = case.conversation.conversation.id.clone();
        updates_until(&mut updates, |u| {
            *u == SupportUpdate::GuestConnection { connected: true }
        })
        .await;

        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        agent
            .authed_send::<NoData>(
                Method::POST,
                &path_with_id(paths::TYPING, &case_id).unwrap(),
                Some(b"{}".to_vec()),
            )
            .await
            .unwrap();
        let reply = agent_says(&agent, &case_id, "Which phone was it?").await;
        let seen = updates_until(&mut updates, |u| {
            matches!(u, SupportUpdate::Changed { event }
                if event.message.as_ref().is_some_and(|m| m.id == reply.id))
        })
        .await;
        assert!(
            seen.iter().any(
                |u| matches!(u, SupportUpdate::Typing { conversation_id, author }
                if *conversation_id == case_id && author.kind == AuthorKind::Agent)
            ),
            "the agent's typing: {seen:?}"
        );
        // The guest views it: "Seen" for the agent.
        support.guest_mark_read(reply.seq).await.unwrap();
        assert_eq!(
            on_server(&agent, &case_id)
                .await
                .conversation
                .other_last_read_seq,
            reply.seq
        );
        // The guest's typing goes out once per interval.
        assert!(support.guest_typing().await.unwrap());
        assert!(!support.guest_typing().await.unwrap(), "throttled");

        // The server restarts: the channel drops, reconnects and resumes after the last seq.
        live.restart().await;
        updates_until(&mut updates, |u| {
            *u == SupportUpdate::GuestConnection { connected: true }
        })
        .await;
        let next = agent_says(&agent, &case_id, "Are you still there?").await;
        let after = updates_until(&mut updates, |u| {
            matches!(u, SupportUpdate::Changed { event }
                if event.message.as_ref().is_some_and(|m| m.id == next.id))
        })
        .await;
        for update in &after {
            if let SupportUpdate::Changed { event } = update {
                assert_eq!(event.conversation_id, case_id);
                assert!(event.seq > reply.seq, "nothing twice: {after:?}");
            }
        }

        // Leaving the case closes its channel and forgets the access.
        support.guest_leave();
        assert!(!support.guest_is_open());
        assert_eq!(
            support.guest_conversation().await.unwrap_err().code,
            ErrorCode::GuestAccessExpired
        );
    }

    /// Signing out forgets the queued messages and the cached conversations: the next person
    /// to sign in here neither sends nor sees them.
    #[tokio::test]
    async fn signing_out_forgets_the_outbox_and_the_cached_conversations() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let support = Arc::new(Support::open(dir.path(), Arc::clone(&anna)).unwrap());
        let _events = tokio::spawn(Arc::clone(&support).run_events());
        let id = started(&support, "Private").await;
        support.list().await.unwrap();
        support.open_conversation(&id).await.unwrap();
        live.stop().await;
        support.send(&id, "not sent yet", Vec::new()).unwrap();
        support
            .start_conversation(SupportTopic::Other, "Also queued", "text", Vec::new())
            .unwrap();
        assert_eq!(support.queued_count().unwrap(), 2);

        let mut updates = support.subscribe();
        anna.sign_out().await.unwrap(); // offline: queued on the account's side
        tokio::time::timeout(Duration::from_secs(10), async {
            while updates.recv().await.ok() != Some(SupportUpdate::Reload) {}
        })
        .await
        .expect("the support side hears of the sign-out");
        assert_eq!(support.queued_count().unwrap(), 0);
        assert_eq!(support.store().last_seq(&support.server()).unwrap(), None);
        let cached: Option<(ConversationDetail, String)> = support
            .store()
            .cache(&support.server(), &cache_key(&id))
            .unwrap();
        assert!(cached.is_none());
        assert_eq!(anna.support_after(), None);
    }

    /// The app keeps running while the server restarts: the socket comes back by itself,
    /// resumes after the seq it holds, and every message arrives exactly once, with no reload.
    #[tokio::test]
    async fn a_running_app_reconnects_after_a_server_restart_and_misses_nothing() {
        let mut live = Live::start().await;
        let dir = tempfile::tempdir().unwrap();
        let anna = signed_in(&live.url(), dir.path(), ANNA.email, ANNA.password).await;
        let agent_dir = tempfile::tempdir().unwrap();
        let agent = signed_in(&live.url(), agent_dir.path(), AGENT.email, AGENT.password).await;
        let support = Arc::new(Support::open(dir.path(), Arc::clone(&anna)).unwrap());
        let id = started(&support, "Restart").await;
        support.list().await.unwrap();
        let mut updates = support.subscribe();
        let _realtime = tokio::spawn(Arc::clone(&anna).run_realtime_with(Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(200),
        }));
        let _events = tokio::spawn(Arc::clone(&support).run_events());
        let mut open = anna.subscribe_realtime();
        tokio::time::timeout(Duration::from_secs(10), open.wait_for(|c| *c))
            .await
            .unwrap()
            .unwrap();
        agent_says(&agent, &id, "before").await;
        assert_eq!(next_message(&mut updates).await.unwrap().body, "before");

        live.restart().await;
        // Sent while the app may still be reconnecting: replayed or live, once.
        agent_says(&agent, &id, "during").await;
        tokio::time::timeout(Duration::from_secs(10), open.wait_for(|c| *c))
            .await
            .unwrap()
            .unwrap();
        agent_says(&agent, &id, "after").await;
        let mut got = Vec::new();
        while got.len() < 2 {
            got.push(next_message(&mut updates).await.expect("delivered").body);
        }
        assert_eq!(
            got,
            ["during", "after"],
            "each once, in order, nothing older"
        );
    }
}
