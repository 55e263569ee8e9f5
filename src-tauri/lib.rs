//! XWMS Desktop: the Tauri shell. It is an adapter: every command (`commands/`, one file per
//! feature) unpacks its arguments, calls one function of `xwms-core` and returns the result;
//! `run` starts the core's background work and forwards its one event stream to the window.
//! No rule of the product lives here.

mod commands;
mod events;

use std::path::PathBuf;

use tauri::Manager;
use tauri_specta::Event;
use xwms_core::client::{Client, ClientEvent};

pub use commands::specta_builder;
use events::{
    AccountChanged, ConnectionChanged, HelpChanged, NewSignIn, SecurityChanged, SessionEnded,
    SupportChanged, SupportOpenConversation,
};
use xwms_core::account::AccountEvent;
use xwms_core::support::SupportUpdate;

/// What the app tells the server it is.
pub const PRODUCT: &str = "XWMS-Desktop";

/// WebKitGTK paints the page with Skia on the CPU instead of through GL. Without a GPU
/// (llvmpipe, as under Xvfb and in many VMs) GL painting is CPU work too, and its texture
/// and glyph caches cost the web process about 65 MB: idle memory goes from ~1.45x a
/// hello-world Tauri app to ~1.20x (README, "Measuring"). Compositing itself stays on, so
/// scrolling and the WebDriver-driven window behave as before. Our screens are forms and
/// lists, which CPU painting draws without visible cost; a person who wants GPU painting
/// sets `WEBKIT_SKIA_ENABLE_CPU_RENDERING=0`, which this leaves alone.
fn web_engine_defaults() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_SKIA_ENABLE_CPU_RENDERING").is_none() {
        // Called first thing in `run`, before any thread exists, so no reader races the write.
        std::env::set_var("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1");
    }
}

pub fn run() {
    web_engine_defaults();
    let specta = specta_builder();
    // Another profile (XWMS_DATA_DIR) is another instance: only the default profile is
    // single-instance, so two profiles can run side by side (tests, several accounts).
    let profile_override = std::env::var_os("XWMS_DATA_DIR").filter(|d| !d.is_empty());

    let mut builder = tauri::Builder::default();
    if profile_override.is_none() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }));
    }
    builder
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .target(tauri_plugin_log::Target::new(
                    tauri_plugin_log::TargetKind::Stdout,
                ))
                .target(tauri_plugin_log::Target::new(
                    tauri_plugin_log::TargetKind::LogDir { file_name: None },
                ))
                .build(),
        )
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            let data_dir = match &profile_override {
                Some(dir) => PathBuf::from(dir),
                None => app.path().app_data_dir()?,
            };
            let server_override = std::env::var("XWMS_SERVER_URL").ok();
            let client = Client::open(&data_dir, PRODUCT, server_override.as_deref())
                .map_err(|e| format!("{}: {}", e.code, e.detail.unwrap_or(e.message)))?;
            log::info!(
                "data dir {}, server {}",
                data_dir.display(),
                client.settings().server_url
            );

            // The core owns its background work (monitor, realtime, syncs, outboxes) and
            // starts it once; the shell only forwards its one event stream.
            let mut events = client.start_on(tauri::async_runtime::handle().inner());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    let sent = match events.recv().await {
                        Ok(ClientEvent::Connection(state)) => {
                            ConnectionChanged(state).emit(&handle)
                        }
                        Ok(ClientEvent::Help(status)) => HelpChanged(status).emit(&handle),
                        Ok(ClientEvent::Account(AccountEvent::SessionEnded { reason })) => {
                            SessionEnded { reason }.emit(&handle)
                        }
                        Ok(ClientEvent::Account(AccountEvent::AccountChanged(account))) => {
                            AccountChanged(account).emit(&handle)
                        }
                        Ok(ClientEvent::Account(AccountEvent::NewSignIn(event))) => {
                            show_new_sign_in(&handle, &event);
                            NewSignIn(event).emit(&handle)
                        }
                        Ok(ClientEvent::Account(AccountEvent::SecurityChanged)) => {
                            SecurityChanged.emit(&handle)
                        }
                        Ok(ClientEvent::Support(update)) => {
                            if let SupportUpdate::Changed { event } = &update {
                                show_support_reply(&handle, event);
                            }
                            SupportChanged(update).emit(&handle)
                        }
                        Err(RecvError::Lagged(n)) => {
                            log::warn!("{n} client events dropped");
                            Ok(())
                        }
                        Err(RecvError::Closed) => break,
                    };
                    if let Err(e) = sent {
                        log::warn!("could not emit an event: {e}");
                    }
                }
            });
            app.manage(client);
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("error while building XWMS Desktop")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // The background work stops before the runtime goes away.
                if let Some(client) = app.try_state::<Client>() {
                    client.stop();
                }
            }
        });
}

/// The desktop notification for a sign-in from a new device or network.
///
/// Decision: the notification only *tells*; it asks nothing. `tauri-plugin-notification` has no
/// action buttons on desktop Linux and Windows (only on mobile), so "This was me" and "Not me —
/// secure my account" live in the app: an alert banner above every screen while someone is
/// signed in, and the same alert on the Security page. The text follows the app's language
/// setting (System: the OS locale).
fn show_new_sign_in(app: &tauri::AppHandle, event: &xwms_api::security::SecurityEventInfo) {
    use tauri_plugin_notification::NotificationExt;
    let lang = app.state::<Client>().settings().language.resolve();
    let (title, body) = xwms_core::alert::new_sign_in_text(lang, event);
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        log::warn!("could not show the new sign-in notification: {e}");
    }
}

/// The desktop notification for a support reply that arrives while the window is not focused
/// or shows another screen (`Support::notify_reply`):
/// the agent's name and a short preview (none for security topics; the text is the core's,
/// `xwms_core::support::text`). Clicking it opens the conversation:
/// - Linux: notify-rust with a default action; a thread waits for `ActionInvoked` on D-Bus,
///   then focuses the window and sends `support-open-conversation` to the UI.
/// - Windows and macOS: the notification plugin, which cannot report a click on desktop; the
///   notification only tells, and the conversation is first in the support list (unread).
fn show_support_reply(app: &tauri::AppHandle, event: &xwms_api::support::SupportEvent) {
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if !app
        .state::<Client>()
        .support()
        .notify_reply(&event.conversation_id, focused)
    {
        return;
    }
    let lang = app.state::<Client>().settings().language.resolve();
    let Some(note) = xwms_core::support::text::reply_notification(event, lang) else {
        return;
    };
    #[cfg(target_os = "linux")]
    {
        let app = app.clone();
        // The D-Bus calls and the wait block: their own thread, which ends when the
        // notification is clicked or closed.
        std::thread::spawn(move || {
            let conversation_id = note.conversation_id.clone();
            let shown = notify_clickable(
                &note.title,
                &note.body,
                |_| {},
                move || {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.unminimize();
                        let _ = window.show();
                        let _ = window.set_focus();
                    }
                    let open = SupportOpenConversation { conversation_id };
                    if let Err(e) = open.emit(&app) {
                        log::warn!("could not open the conversation: {e}");
                    }
                },
            );
            if let Err(e) = shown {
                log::warn!("could not show the support notification: {e}");
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    {
        use tauri_plugin_notification::NotificationExt;
        if let Err(e) = app
            .notification()
            .builder()
            .title(note.title)
            .body(note.body)
            .show()
        {
            log::warn!("could not show the support notification: {e}");
        }
    }
}

/// Shows a desktop notification whose click (its default action) calls `on_click`, over
/// D-Bus with notify-rust; `on_shown` gets its id. Blocks until it is clicked or closed.
#[cfg(target_os = "linux")]
fn notify_clickable(
    title: &str,
    body: &str,
    on_shown: impl FnOnce(u32),
    on_click: impl FnOnce(),
) -> Result<(), String> {
    let handle = notify_rust::Notification::new()
        .appname("XWMS Desktop")
        .summary(title)
        .body(body)
        .action("default", title)
        .show()
        .map_err(|e| e.to_string())?;
    on_shown(handle.id());
    handle.wait_for_action(|action| {
        if action == "default" {
            on_click();
        }
    });
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// The notification reaches the notification server on the session bus, and its
    /// `ActionInvoked(id, "default")` signal (what a click sends; here from `dbus-send`)
    /// calls the click handler.
    #[test]
    #[ignore = "needs a D-Bus session with a notification server; run in scripts/desktop-session.sh"]
    fn clicking_the_notification_calls_its_handler() {
        let (shown_tx, shown) = mpsc::channel();
        let (clicked_tx, clicked) = mpsc::channel();
        std::thread::spawn(move || {
            super::notify_clickable(
                "Sam",
                "Your mail should arrive now.",
                move |id| shown_tx.send(id).unwrap(),
                move || clicked_tx.send(()).unwrap(),
            )
            .unwrap();
        });
        let id = shown
            .recv_timeout(Duration::from_secs(10))
            .expect("the notification server accepted it");
        assert!(id > 0);
        // The listener registers its match rule just after `show`: send until it hears.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = std::process::Command::new("dbus-send")
                .args([
                    "--session",
                    "--type=signal",
                    "/org/freedesktop/Notifications",
                    "org.freedesktop.Notifications.ActionInvoked",
                    &format!("uint32:{id}"),
                    "string:default",
                ])
                .status()
                .unwrap();
            assert!(status.success());
            if clicked.recv_timeout(Duration::from_millis(200)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the click never reached the handler"
            );
        }
    }
}
