//! The files of `content/help/`, compiled in by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/bundled_content.rs"));
