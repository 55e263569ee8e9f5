//! XWMS Desktop: the Tauri shell. It is an adapter: every command (`commands/`, one file per
//! feature) unpacks its arguments, calls one function of `xwms-core` and returns the result;
//! `run` starts the core's background work and forwards its one event stream to the window.
//! No rule of the product lives here.

mod commands;
#[cfg(target_os = "linux")]
mod desktop_entry;
mod events;

use std::path::PathBuf;
use std::sync::Mutex;

use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_specta::Event;
use xwms_core::client::{Client, ClientEvent};

pub use commands::specta_builder;
use events::{
    AccountChanged, AppLinkOpened, ConnectionChanged, HelpChanged, NewSignIn, SecurityChanged,
    SessionEnded, SupportChanged,
};
use xwms_core::account::AccountEvent;
use xwms_core::links::AppLink;
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

/// The screen an `xwms://` link or a notification click asked for, until the UI takes it
/// (`take_app_link`).
#[derive(Default)]
pub struct PendingLink(Mutex<Option<AppLink>>);

impl PendingLink {
    /// The link asked for last, once.
    pub fn take(&self) -> Option<AppLink> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn set(&self, link: AppLink) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(link);
    }
}

fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Brings the window forward and has the UI open `link`.
fn open_app_link(app: &AppHandle, link: AppLink) {
    app.state::<PendingLink>().set(link);
    show_main_window(app);
    if let Err(e) = AppLinkOpened.emit(app) {
        log::warn!("could not ask the window to open a link: {e}");
    }
}

/// Links the operating system handed to the app: those the core reads as an [`AppLink`] open
/// their screen; anything else (a page can make a browser hand over any `xwms:` text) is
/// only logged, by its error code, and opens nothing.
fn open_url_links(app: &AppHandle, urls: &[url::Url]) {
    for url in urls {
        match xwms_core::links::app_link(url.as_str()) {
            Ok(link) => open_app_link(app, link),
            Err(e) => log::warn!("ignored an {} link: {}", url.scheme(), e.code),
        }
    }
}

/// One window per profile. A second start of the same profile (a click on an `xwms://` link
/// starts the program again) hands its arguments, and so the link, to the running window and
/// exits. The default profile uses the app's identifier; another profile (`XWMS_DATA_DIR`,
/// as tests and a second account use) gets its own D-Bus name on Linux, so two profiles run
/// side by side. Elsewhere the plugin cannot tell profiles apart: another profile is then not
/// single-instance, and a link opens a window of the default profile.
fn single_instance(
    identifier: &str,
    profile: Option<&std::ffi::OsStr>,
) -> Option<tauri::plugin::TauriPlugin<tauri::Wry>> {
    let plugin = tauri_plugin_single_instance::Builder::new()
        .callback(|app, _args, _cwd| show_main_window(app));
    match profile {
        None => Some(plugin.build()),
        #[cfg(target_os = "linux")]
        Some(dir) => {
            use std::hash::{Hash, Hasher};
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| PathBuf::from(dir));
            let mut hasher = std::hash::DefaultHasher::new();
            dir.hash(&mut hasher);
            let id = format!("{identifier}.Profile_{:016x}", hasher.finish());
            Some(plugin.dbus_id(id).build())
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => {
            let _ = identifier;
            None
        }
    }
}

/// Makes this program the handler of `xwms://` links, so the link in a support mail opens the
/// app. A deb or rpm package declares the scheme in its own desktop entry (`Exec=… %u`), so a
/// program under `/usr` leaves it to the package; elsewhere (an AppImage, a build run by
/// `scripts/run.sh`) the app writes the current user's entry ([`desktop_entry`]). On Windows
/// the deep-link plugin writes the current user's registry (the installers do the same).
/// Runs beside the start: it calls `xdg-mime`.
fn register_app_scheme(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    {
        let program = match app.env().appimage {
            Some(appimage) => PathBuf::from(appimage),
            None => match std::env::current_exe() {
                Ok(exe) if exe.starts_with("/usr/") => return,
                Ok(exe) => exe,
                Err(_) => return,
            },
        };
        let Ok(data) = app.path().data_dir() else {
            return;
        };
        let name = app.config().product_name.clone().unwrap_or_default();
        std::thread::spawn(move || {
            let applications = data.join("applications");
            let scheme = xwms_core::links::APP_SCHEME;
            if let Err(e) = desktop_entry::register(&applications, &name, &program, scheme) {
                log::warn!("could not register the xwms:// links: {e}");
            }
        });
    }
    #[cfg(windows)]
    {
        let app = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = app.deep_link().register_all() {
                log::warn!("could not register the xwms:// links: {e}");
            }
        });
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}

pub fn run() {
    web_engine_defaults();
    let specta = specta_builder();
    let context = tauri::generate_context!();
    // Another profile (XWMS_DATA_DIR) is another instance (`single_instance`).
    let profile_override = std::env::var_os("XWMS_DATA_DIR").filter(|d| !d.is_empty());

    let mut builder = tauri::Builder::default().manage(PendingLink::default());
    // First: a second start must hand over its link and exit before anything else runs.
    if let Some(plugin) = single_instance(&context.config().identifier, profile_override.as_deref())
    {
        builder = builder.plugin(plugin);
    }
    builder
        .plugin(tauri_plugin_deep_link::init())
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
            let handle = app.handle().clone();
            app.deep_link()
                .on_open_url(move |event| open_url_links(&handle, &event.urls()));
            // Started by a link (a cold start): the UI takes it once it is up.
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                open_url_links(app.handle(), &urls);
            }
            register_app_scheme(app.handle());
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
        .build(context)
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
///   then focuses the window and has the UI open the conversation (`open_app_link`).
/// - Windows: a toast (tauri-winrt-notification, what the notification plugin uses there)
///   whose `Activated` handler does the same while the app runs. Checked by compiling for
///   Windows, not yet run on a Windows machine (README).
/// - macOS: the notification plugin, which cannot report a click there; the notification
///   only tells, and the conversation is first in the support list (unread).
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
                move || open_app_link(&app, AppLink::SupportConversation { conversation_id }),
            );
            if let Err(e) = shown {
                log::warn!("could not show the support notification: {e}");
            }
        });
    }
    #[cfg(windows)]
    {
        use tauri_winrt_notification::Toast;
        // An installed app has its identifier as AppUserModelID (the installers set it); a
        // program run from a build folder has none, so it borrows PowerShell's, as the
        // notification plugin does.
        let installed = std::env::current_exe().is_ok_and(|exe| {
            !exe.parent()
                .is_some_and(|dir| dir.ends_with("target/debug") || dir.ends_with("target/release"))
        });
        let app_id = if installed {
            app.config().identifier.clone()
        } else {
            Toast::POWERSHELL_APP_ID.to_owned()
        };
        let app = app.clone();
        let conversation_id = note.conversation_id.clone();
        let shown = Toast::new(&app_id)
            .title(&note.title)
            .text1(&note.body)
            .on_activated(move |_action| {
                open_app_link(
                    &app,
                    AppLink::SupportConversation {
                        conversation_id: conversation_id.clone(),
                    },
                );
                Ok(())
            })
            .show();
        if let Err(e) = shown {
            log::warn!("could not show the support notification: {e}");
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
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
