//! Who is connected to the realtime channel, and what a committed change tells them.
//!
//! [`LiveSessions`] maps each person to the WebSocket connections of their sessions, each with
//! a bounded queue ([`REALTIME`]`.queue`). Account flows do not push anything themselves: they
//! collect [`Notice`]s in their transaction, and `Accounts::write` hands them to
//! [`LiveSessions::publish`] only after the transaction committed, so nobody is told about a
//! change that was rolled back. A connection whose queue is full is dropped (its client
//! reconnects and reloads); one whose session ends gets `session_revoked` and is closed.
//! A session may hold [`REALTIME`]`.max_sockets_per_session` sockets and an account
//! [`REALTIME`]`.max_sockets_per_account` ([`LiveSessions::connect`]).
//!
//! Dependency direction: `accounts` and `crate::realtime` (which serves the sockets) use this
//! module; it uses only [`super::policy`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use xwms_api::security::{RealtimeEvent, RevokeReason, SecurityEventInfo};

use super::policy::REALTIME;

/// What a committed change tells connected sessions.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The session ended (for any reason): its sockets get `session_revoked` and close; the
    /// person's other sessions get `security_changed`.
    SessionEnded {
        user_id: String,
        session_id: String,
        reason: RevokeReason,
    },
    /// Sessions, 2FA, credentials or the timeline of the person changed.
    SecurityChanged { user_id: String },
    /// A sign-in from a new device or network: the person's other sessions get `new_sign_in`.
    NewSignIn {
        user_id: String,
        session_id: String,
        event: Box<SecurityEventInfo>,
    },
    /// A support event (or typing): `for_person` to the connections registered under
    /// `person_id` (the conversation's person, or for a guest case its guest key
    /// `guest:<conversation id>`), `for_agents` to every agent's connections (`None`: agents
    /// hear nothing).
    Support {
        person_id: Option<String>,
        for_person: Option<Box<RealtimeEvent>>,
        for_agents: Option<Box<RealtimeEvent>>,
    },
    /// The support queue changed: every agent connection (never a person's) gets
    /// `agent_queue` with `counts`, its `mine` taken from `mine` by the agent's account id.
    /// Only the last of these in one batch goes out (it has the counts after the commit).
    AgentQueue {
        counts: xwms_api::agent::QueueCounts,
        mine: HashMap<String, u32>,
    },
    /// To agent connections only, except those of the accounts in `except` (the
    /// conversation's person, should they be on the team; the agent it is about): internal
    /// notes and agents' presence.
    AgentsOnly {
        except: Vec<String>,
        event: Box<RealtimeEvent>,
    },
}

/// A frame for one connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Push {
    Event(RealtimeEvent),
    /// Send this, then close the socket.
    Last(RealtimeEvent),
}

struct Connection {
    id: u64,
    session_id: String,
    /// A member of the support team: hears every support event.
    agent: bool,
    queue: mpsc::Sender<Push>,
}

/// The connected sessions of every person (see the module docs).
#[derive(Default)]
pub struct LiveSessions {
    by_user: Mutex<HashMap<String, Vec<Connection>>>,
    next_id: AtomicU64,
}

/// The session or account has as many realtime sockets as allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySockets;

/// A registered connection; dropping it unregisters it.
pub struct Registration {
    live: Arc<LiveSessions>,
    user_id: String,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut by_user = self.live.lock();
        let before = agents_online(&by_user);
        if let Some(connections) = by_user.get_mut(&self.user_id) {
            connections.retain(|c| c.id != self.id);
            if connections.is_empty() {
                by_user.remove(&self.user_id);
            }
        }
        announce_availability(&mut by_user, before);
    }
}

/// Agents with at least one connection.
fn agents_online(by_user: &HashMap<String, Vec<Connection>>) -> u32 {
    let online = by_user
        .values()
        .filter(|connections| connections.iter().any(|c| c.agent))
        .count();
    u32::try_from(online).unwrap_or(u32::MAX)
}

/// Tells everyone connected how many agents are online, when that changed from `before`.
fn announce_availability(by_user: &mut HashMap<String, Vec<Connection>>, before: u32) {
    let now = agents_online(by_user);
    if now == before {
        return;
    }
    let push = Push::Event(RealtimeEvent::SupportAvailability { agents_online: now });
    for connections in by_user.values_mut() {
        connections.retain(|c| deliver(c, push.clone()));
    }
    by_user.retain(|_, connections| !connections.is_empty());
}

impl LiveSessions {
    pub fn new() -> LiveSessions {
        LiveSessions::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<Connection>>> {
        self.by_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection of `session_id`; frames for it arrive on the receiver. Refused
    /// when the session or the account already has as many sockets as [`REALTIME`] allows
    /// (the registration ends when it is dropped, so a socket that closes frees its place).
    pub fn connect(
        self: &Arc<Self>,
        user_id: &str,
        session_id: &str,
    ) -> Result<(Registration, mpsc::Receiver<Push>), TooManySockets> {
        self.connect_as(user_id, session_id, false)
    }

    /// [`LiveSessions::connect`] for a person (`agent` false) or a member of the support team,
    /// whose connections hear every support event and count in [`LiveSessions::agents_online`].
    pub fn connect_as(
        self: &Arc<Self>,
        user_id: &str,
        session_id: &str,
        agent: bool,
    ) -> Result<(Registration, mpsc::Receiver<Push>), TooManySockets> {
        let mut by_user = self.lock();
        let before = agents_online(&by_user);
        let connections = by_user.entry(user_id.to_owned()).or_default();
        let of_session = connections
            .iter()
            .filter(|c| c.session_id == session_id)
            .count();
        if of_session >= REALTIME.max_sockets_per_session
            || connections.len() >= REALTIME.max_sockets_per_account
        {
            if connections.is_empty() {
                by_user.remove(user_id);
            }
            return Err(TooManySockets);
        }
        let (queue, receiver) = mpsc::channel(if agent {
            REALTIME.agent_queue
        } else {
            REALTIME.queue
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        connections.push(Connection {
            id,
            session_id: session_id.to_owned(),
            agent,
            queue,
        });
        announce_availability(&mut by_user, before);
        drop(by_user);
        let registration = Registration {
            live: Arc::clone(self),
            user_id: user_id.to_owned(),
            id,
        };
        Ok((registration, receiver))
    }

    /// Agents with the app open (a realtime connection) now.
    pub fn agents_online(&self) -> u32 {
        agents_online(&self.lock())
    }

    /// How many connections are registered.
    pub fn connections(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Delivers what committed changes mean to the connections concerned.
    pub fn publish(&self, notices: Vec<Notice>) {
        if notices.is_empty() {
            return;
        }
        let mut by_user = self.lock();
        let mut ended: HashSet<String> = HashSet::new();
        let mut changed: Vec<String> = vec![];
        let last_queue = notices
            .iter()
            .rposition(|n| matches!(n, Notice::AgentQueue { .. }));
        for (index, notice) in notices.iter().enumerate() {
            match notice {
                Notice::AgentsOnly { except, event } => {
                    let push = Push::Event(event.as_ref().clone());
                    for (user_id, connections) in by_user.iter_mut() {
                        if except.contains(user_id) {
                            continue;
                        }
                        connections.retain(|c| !c.agent || deliver(c, push.clone()));
                    }
                }
                Notice::AgentQueue { counts, mine } => {
                    if Some(index) != last_queue {
                        continue;
                    }
                    for (user_id, connections) in by_user.iter_mut() {
                        let push = Push::Event(RealtimeEvent::AgentQueue {
                            counts: xwms_api::agent::QueueCounts {
                                mine: mine.get(user_id).copied().unwrap_or(0),
                                ..counts.clone()
                            },
                        });
                        connections.retain(|c| !c.agent || deliver(c, push.clone()));
                    }
                }
                Notice::SessionEnded {
                    user_id,
                    session_id,
                    reason,
                } => {
                    ended.insert(session_id.clone());
                    if !changed.contains(user_id) {
                        changed.push(user_id.clone());
                    }
                    if let Some(connections) = by_user.get_mut(user_id) {
                        let last = Push::Last(RealtimeEvent::SessionRevoked {
                            session_id: session_id.clone(),
                            reason: *reason,
                        });
                        // Each connection of the session gets the frame; all are unregistered
                        // (their socket closes after the frame).
                        connections.retain(|c| {
                            if &c.session_id == session_id {
                                let _ = c.queue.try_send(last.clone());
                                false
                            } else {
                                true
                            }
                        });
                    }
                }
                Notice::SecurityChanged { user_id } => {
                    if !changed.contains(user_id) {
                        changed.push(user_id.clone());
                    }
                }
                Notice::Support {
                    person_id,
                    for_person,
                    for_agents,
                } => {
                    for (user_id, connections) in by_user.iter_mut() {
                        let own = person_id.as_ref() == Some(user_id);
                        connections.retain(|c| {
                            let event = if own {
                                for_person
                            } else if c.agent {
                                for_agents
                            } else {
                                &None
                            };
                            match event {
                                Some(event) => deliver(c, Push::Event(event.as_ref().clone())),
                                None => true,
                            }
                        });
                    }
                }
                Notice::NewSignIn {
                    user_id,
                    session_id,
                    event,
                } => {
                    if let Some(connections) = by_user.get_mut(user_id) {
                        let push = Push::Event(RealtimeEvent::NewSignIn {
                            event: event.as_ref().clone(),
                        });
                        connections
                            .retain(|c| &c.session_id == session_id || deliver(c, push.clone()));
                    }
                }
            }
        }
        for user_id in changed {
            if let Some(connections) = by_user.get_mut(&user_id) {
                connections.retain(|c| {
                    ended.contains(&c.session_id)
                        || deliver(c, Push::Event(RealtimeEvent::SecurityChanged))
                });
            }
        }
        by_user.retain(|_, connections| !connections.is_empty());
    }
}

/// Queues `push`; false (drop the connection) when its queue is full or its socket is gone.
fn deliver(connection: &Connection, push: Push) -> bool {
    match connection.queue.try_send(push) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::debug!(session = %connection.session_id, "realtime queue full; closing the connection");
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(user: &str, session: &str) -> Notice {
        Notice::SessionEnded {
            user_id: user.into(),
            session_id: session.into(),
            reason: RevokeReason::Removed,
        }
    }

    #[tokio::test]
    async fn an_ended_session_gets_its_last_frame_and_the_others_a_change() {
        let live = Arc::new(LiveSessions::new());
        let (_a, mut a) = live.connect("anna", "s1").unwrap();
        let (_b, mut b) = live.connect("anna", "s2").unwrap();
        let (_c, mut c) = live.connect("bram", "s3").unwrap();
        assert_eq!(live.connections(), 3);
        live.publish(vec![ended("anna", "s2")]);
        assert_eq!(
            a.recv().await,
            Some(Push::Event(RealtimeEvent::SecurityChanged))
        );
        assert_eq!(
            b.recv().await,
            Some(Push::Last(RealtimeEvent::SessionRevoked {
                session_id: "s2".into(),
                reason: RevokeReason::Removed
            }))
        );
        assert_eq!(b.recv().await, None, "unregistered after its last frame");
        assert!(c.try_recv().is_err(), "another person hears nothing");
        assert_eq!(live.connections(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_connection_and_registrations_clean_up() {
        let live = Arc::new(LiveSessions::new());
        let (_a, mut a) = live.connect("anna", "s1").unwrap();
        for _ in 0..REALTIME.queue + 1 {
            live.publish(vec![Notice::SecurityChanged {
                user_id: "anna".into(),
            }]);
        }
        assert_eq!(live.connections(), 0, "dropped when its queue overflowed");
        for _ in 0..REALTIME.queue {
            assert!(a.recv().await.is_some());
        }
        assert_eq!(a.recv().await, None);
        let (registration, _b) = live.connect("anna", "s1").unwrap();
        assert_eq!(live.connections(), 1);
        drop(registration);
        assert_eq!(live.connections(), 0);
    }

    #[tokio::test]
    async fn sockets_are_limited_per_session_and_per_account() {
        let live = Arc::new(LiveSessions::new());
        let mut held = vec![];
        for _ in 0..REALTIME.max_sockets_per_session {
            held.push(live.connect("anna", "s1").unwrap());
        }
        assert_eq!(live.connect("anna", "s1").err(), Some(TooManySockets));
        // Another session of the same account may still connect, up to the account's limit.
        let mut session = 2;
        while held.len() < REALTIME.max_sockets_per_account {
            match live.connect("anna", &format!("s{session}")) {
                Ok(connection) => held.push(connection),
                Err(TooManySockets) => session += 1,
            }
        }
        assert_eq!(
            live.connect("anna", "s-new").err(),
            Some(TooManySockets),
            "the account is full"
        );
        assert!(live.connect("bram", "s9").is_ok(), "another account is not");
        // Closing one frees its place.
        held.remove(0);
        assert!(live.connect("anna", "s1").is_ok());
    }
}
