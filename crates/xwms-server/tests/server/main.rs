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
mod recovery;
mod routes;
mod signin;
mod signup;
mod socket;
mod support;
