//! Integration tests of xwms-server, in one test binary (DESIGN.md rule 9).

mod binary;
mod openapi;
mod routes;
mod socket;
mod support;
