//! Agent mode: the support team's side of live support (the person's side is
//! [`crate::support`]).
//!
//! Ours to define (xwms-contract.md); the server documents it in its OpenAPI document.
//!
//! - **Who.** An account's [`Role`] is `user`, `agent` or `admin`; the server's operator sets it
//!   (`xwms-server user add …` / `xwms-server user role EMAIL ROLE`). Every route under
//!   `/api/agent/` needs `Authorization: Bearer <access token>` (`401` without one) of an
//!   account with the `agent` or `admin` role (`403 support.not_agent` for anyone else).

use serde::{Deserialize, Serialize};

/// Route paths, one place for server and clients. `{id}` is a path parameter.
pub mod paths {
    /// Every route of agent mode starts with this.
    pub const PREFIX: &str = "/api/agent/";
}

wire_enum! {
    /// What an account may do: `user` (a person), `agent` (the support team: reads and answers
    /// every conversation) or `admin` (an agent who also manages the team).
    pub enum Role {
        User = "user",
        Agent = "agent",
        Admin = "admin",
        @other Unknown = "unknown",
    }
}

impl Role {
    /// Agents and admins are the support team.
    pub fn is_team(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }

    /// The role named `raw` (`user`, `agent`, `admin`), if it is one.
    pub fn parse(raw: &str) -> Option<Role> {
        match Role::from_wire(raw.trim()) {
            Role::Unknown => None,
            role => Some(role),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_only_agents_and_admins_are_the_team() {
        assert_eq!(Role::parse("agent"), Some(Role::Agent));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("user"), Some(Role::User));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("unknown"), None);
        assert!(Role::Agent.is_team() && Role::Admin.is_team());
        assert!(!Role::User.is_team() && !Role::Unknown.is_team());
    }
}
