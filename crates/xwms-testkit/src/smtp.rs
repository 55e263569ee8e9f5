//! [`SmtpCatcher`]: a small but real SMTP server on loopback that keeps what it receives.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use xwms_server::mail::find_code;

/// A message an [`SmtpCatcher`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent (headers and MIME body), line ends `\r\n`, dots unstuffed.
    pub data: String,
}

impl ReceivedMessage {
    /// A top-level header's value (first occurrence, unfolded), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((key, v)) = line.split_once(':') {
                if key.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }

    /// The decoded body of the first part of `content_type` (e.g. `text/plain`).
    pub fn part(&self, content_type: &str) -> Option<String> {
        let lower = self.data.to_ascii_lowercase();
        let start = lower.find(&format!("content-type: {content_type}"))?;
        let head_end = start + lower[start..].find("\r\n\r\n")?;
        let head = &lower[start..head_end];
        let body_start = head_end + 4;
        let body_end = body_start
            + self.data[body_start..]
                .find("\r\n--")
                .unwrap_or(self.data.len() - body_start);
        let body = &self.data[body_start..body_end];
        if head.contains("content-transfer-encoding: quoted-printable") {
            let bytes = quoted_printable::decode(body, quoted_printable::ParseMode::Robust).ok()?;
            String::from_utf8(bytes).ok()
        } else if head.contains("content-transfer-encoding: base64") {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?;
            String::from_utf8(bytes).ok()
        } else {
            Some(body.to_owned())
        }
    }

    /// The plain-text body.
    pub fn text(&self) -> Option<String> {
        self.part("text/plain")
    }

    /// The 6-digit code in the plain-text body.
    pub fn code(&self) -> Option<String> {
        find_code(&self.text()?.replace("\r\n", "\n"))
    }
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<ReceivedMessage>>,
    arrived: Condvar,
}

/// A small but real SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
/// `127.0.0.1:<free port>`, keeping what it receives. For tests that check the real SMTP path
/// (lettre, MIME, quoted-printable) end to end.
pub struct SmtpCatcher {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpCatcher {
    pub fn start() -> std::io::Result<SmtpCatcher> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let inbox = Arc::new(Inbox::default());
        let stopping = Arc::new(AtomicBool::new(false));
        let (inbox2, stopping2) = (Arc::clone(&inbox), Arc::clone(&stopping));
        let thread = std::thread::Builder::new()
            .name("smtp-catcher".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let inbox = Arc::clone(&inbox2);
                    std::thread::spawn(move || {
                        let _ = smtp_session(stream, &inbox);
                    });
                }
            })?;
        Ok(SmtpCatcher {
            addr,
            inbox,
            stopping,
            thread: Some(thread),
        })
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP), for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.inbox
            .messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits for a message to `address` (case-insensitive) among those after the first `since`.
    pub fn wait_for(
        &self,
        address: &str,
        since: usize,
        timeout: Duration,
    ) -> Option<ReceivedMessage> {
        let deadline = Instant::now() + timeout;
        let mut messages = self
            .inbox
            .messages
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(m) = messages
                .iter()
                .skip(since)
                .find(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address)))
            {
                return Some(m.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            messages = self
                .inbox
                .arrived
                .wait_timeout(messages, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for SmtpCatcher {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn path_of(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

fn smtp_session(stream: TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| writer.write_all(format!("{text}\r\n").as_bytes());
    reply("220 xwms-test-smtp ESMTP ready")?;
    let (mut from, mut to) = (String::new(), Vec::<String>::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => reply("250-xwms-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8")?,
            "HELO" => reply("250 xwms-test-smtp")?,
            "MAIL" => {
                from = path_of(&command);
                to.clear();
                reply("250 OK")?;
            }
            "RCPT" => {
                to.push(path_of(&command));
                reply("250 OK")?;
            }
            "DATA" => {
                reply("354 End data with <CR><LF>.<CR><LF>")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                inbox
                    .messages
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(ReceivedMessage {
                        mail_from: std::mem::take(&mut from),
                        rcpt_to: std::mem::take(&mut to),
                        data,
                    });
                inbox.arrived.notify_all();
                reply("250 OK queued")?;
            }
            "RSET" => {
                from.clear();
                to.clear();
                reply("250 OK")?;
            }
            "NOOP" => reply("250 OK")?,
            "QUIT" => {
                reply("221 Bye")?;
                return Ok(());
            }
            _ => reply("502 Command not implemented")?,
        }
    }
}
