//! Integration tests of xwms-server, in one test binary (DESIGN.md rule 9).

mod account;
mod bad_input;
mod bench;
mod binary;
mod error_codes;
mod help;
mod mail;
mod openapi;
mod password;
mod realtime;
mod reauth;
mod recovery;
mod routes;
mod security;
mod security_codes;
mod signin;
mod signup;
mod socket;
mod support;
mod two_factor;
