//! Integration tests of xwms-server, in one test binary (DESIGN.md rule 9).

mod abuse;
mod account;
mod bad_input;
mod bench;
mod binary;
mod error_codes;
mod help;
mod help_feedback;
mod limits;
mod mail;
mod mail_once;
mod notices;
mod openapi;
mod openapi_rules;
mod password;
mod realtime;
mod recovery;
mod routes;
mod security;
mod security_codes;
mod signin;
mod signup;
mod socket;
mod support;
mod two_factor;
